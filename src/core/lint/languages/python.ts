// Django migrations (*.py under a migrations/ folder, or any file defining migrations.Migration),
// parsed with web-tree-sitter + tree-sitter-python. The SQL of RunSQL(...) is handed to the SQL
// language as embedded code, with offsets mapped back through the Python string's escapes.
import type { Language } from '../types';
import { parseDjango, type DjangoUnit } from '../python/django';
import { djangoRunpythonCreate } from '../rules/django/djangoRunpythonCreate';
import { djangoRunpythonUpdateNotIdempotent } from '../rules/django/djangoRunpythonUpdateNotIdempotent';
import { djangoRunpythonDeleteAll } from '../rules/django/djangoRunpythonDeleteAll';
import { djangoRunsqlNotLiteral } from '../rules/django/djangoRunsqlNotLiteral';

export const pythonLanguage: Language<DjangoUnit> = {
  id: 'python',
  lineComment: '#',
  matches: (file, text) => /\.py$/i.test(file) && !/(^|[\\/])__init__\.py$/.test(file) && (/(^|[\\/])migrations[\\/]/.test(file) || /\bmigrations\.Migration\b/.test(text)),
  parse: async (text) => {
    const parsed = await parseDjango(text);
    if (!parsed.ok) return parsed;
    const embedded = parsed.unit.runSql.map((r) => {
      const offsets = r.sql.offsets;
      return { language: 'sql' as const, text: r.sql.value, map: (o: number) => offsets[Math.max(0, Math.min(o, offsets.length - 1))]! };
    });
    return { ...parsed, embedded };
  },
  rules: [djangoRunpythonCreate, djangoRunpythonUpdateNotIdempotent, djangoRunpythonDeleteAll, djangoRunsqlNotLiteral],
};
