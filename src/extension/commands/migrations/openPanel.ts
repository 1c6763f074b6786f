// "Greenlight: Open Migrations": the migration editor panel (one per window; a second call reveals it).
import type { Services } from '../../services';

export function openMigrationsPanel(s: Services) {
  return (): void => s.migrationPanel.open();
}
