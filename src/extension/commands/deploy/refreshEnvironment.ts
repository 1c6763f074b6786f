// "Refresh" on an environment (Environments and Backups views): asks the host again.
import type { Services } from '../../services';
import { envNameOf, refreshEnvironment as refresh } from './common';

export function refreshEnvironment(s: Services) {
  return async (arg?: unknown): Promise<void> => {
    const env = envNameOf(arg);
    if (env) refresh(s, env);
    else {
      s.environments.status.refresh();
      s.backups.refresh();
    }
  };
}
