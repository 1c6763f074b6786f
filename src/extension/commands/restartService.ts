// "Greenlight: Restart Background Service".
import type { Services } from '../services';

export function restartService(s: Services) {
  return async (): Promise<void> => {
    s.output.info('restarting the background service on request');
    await s.client.restart();
    await s.project.refresh();
  };
}
