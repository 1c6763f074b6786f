// Rails migrations (db/migrate/*.rb, or any .rb file defining an ActiveRecord::Migration), parsed
// with @ruby/prism. The SQL given to `execute` where it runs forward is handed to the SQL language
// as embedded code with offsets mapped back into the .rb file, as Django's RunSQL is.
import type { Language } from '../types';
import { parseRailsMigration, type RailsMigrationUnit } from '../ruby/railsMigration';

export const railsMigrationLanguage: Language<RailsMigrationUnit> = {
  id: 'rails-migration',
  lineComment: '#',
  matches: (file, text) => /\.rb$/i.test(file) && (/(^|[\\/])db[\\/]migrate[\\/]/i.test(file) || /\bActiveRecord::Migration\b/.test(text)),
  parse: async (text, file) => {
    const parsed = await parseRailsMigration(text, file);
    if (!parsed.ok) return parsed;
    const embedded = parsed.unit.executes.map((e) => {
      const offsets = e.sql.offsets;
      return { language: 'sql' as const, text: e.sql.value, map: (o: number) => offsets[Math.max(0, Math.min(o, offsets.length - 1))]! };
    });
    return { ...parsed, embedded };
  },
  // Rails records its own operations once; only the embedded SQL has rules (the SQL language's).
  rules: [],
};
