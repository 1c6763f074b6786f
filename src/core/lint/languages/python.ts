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
  parse: async (text, file) => {
    const parsed = await parseDjango(text, file);
    if (!parsed.ok) return parsed;
    // All RunSQL of the migration form one SQL text, in order, so the SQL rules see what the
    // other RunSQL do (a table emptied by a later RunSQL, an object created by an earlier one),
    // as they do within one .sql file. Each piece ends with its own statement separator.
    const pieces = parsed.unit.runSql;
    if (!pieces.length) return { ...parsed, embedded: [] };
    const SEP = '\n;\n';
    const starts: number[] = [];
    let sql = '';
    for (const r of pieces) {
      starts.push(sql.length);
      sql += r.sql.value + SEP;
    }
    const map = (o: number): number => {
      let k = starts.length - 1;
      while (k > 0 && starts[k]! > o) k--;
      const offsets = pieces[k]!.sql.offsets;
      return offsets[Math.max(0, Math.min(o - starts[k]!, pieces[k]!.sql.value.length, offsets.length - 1))]!;
    };
    return { ...parsed, embedded: [{ language: 'sql' as const, text: sql, map }] };
  },
  rules: [djangoRunpythonCreate, djangoRunpythonUpdateNotIdempotent, djangoRunpythonDeleteAll, djangoRunsqlNotLiteral],
};
