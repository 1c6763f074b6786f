// "Greenlight: Refresh Migrations": reads the status of every target again.
import type { Services } from '../../services';

export function refreshMigrations(s: Services) {
  return (): Promise<void> => s.migrations.refresh();
}
