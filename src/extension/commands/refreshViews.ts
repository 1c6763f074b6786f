// "Refresh" in the Environments view title.
import type { Services } from '../services';

export function refreshViews(s: Services) {
  return async (): Promise<void> => {
    await s.project.refresh();
  };
}
