// The files of the per-edit latency benchmark (scripts/bench/lintLatency.mjs), one generator per
// language at a given line count, and the edits made to them; a module of its own so a profiling
// script can lint the same files in-process. The leading underscore keeps `npm run bench` from
// running it as a benchmark.

/** A realistic migration: guarded DDL, seeds with ON CONFLICT, a few unguarded statements, DO blocks. */
export function migrationOf(lines) {
  const out = ['-- generated for the latency benchmark', 'BEGIN;'];
  let i = 0;
  while (out.length < lines - 1) {
    const n = i++;
    switch (n % 6) {
      case 0:
        out.push(`CREATE TABLE IF NOT EXISTS t${n} (`, '  id bigserial PRIMARY KEY,', `  name text NOT NULL,`, `  qty integer NOT NULL DEFAULT ${n},`, '  created_at timestamptz NOT NULL DEFAULT now()', ');');
        break;
      case 1:
        out.push(`CREATE INDEX IF NOT EXISTS t${n - 1}_name_idx ON t${n - 1} (name);`, `ALTER TABLE t${n - 1} ADD COLUMN IF NOT EXISTS note text;`);
        break;
      case 2:
        out.push(`INSERT INTO t${n - 2} (id, name) VALUES (${n}, 'row ${n}')`, '  ON CONFLICT (id) DO NOTHING;');
        break;
      case 3:
        out.push(`CREATE TABLE t${n} (id int);`);
        break;
      case 4:
        out.push('DO $$', 'BEGIN', `  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'c${n}') THEN`, `    ALTER TABLE t${n - 4} ADD CONSTRAINT c${n} CHECK (qty >= 0);`, '  END IF;', 'END', '$$;');
        break;
      default:
        out.push(`UPDATE t${n - 5} SET qty = qty + 1 WHERE id = ${n};`);
    }
  }
  out.length = Math.min(out.length, lines - 1);
  // Cut at a statement boundary so the file parses.
  while (out.length && !/;\s*$/.test(out[out.length - 1])) out.pop();
  out.push('COMMIT;');
  return out.join('\n') + '\n';
}

/** Every language the language server lints, a file of `lines` lines each. */
export const LATENCY_LANGUAGES = [
  { name: 'SQL migration (.sql)', rel: 'migrations/001_big.sql', languageId: 'sql', make: migrationOf },
  {
    name: 'AQL (.aql)',
    rel: 'migrations/002_big.aql',
    languageId: 'aql',
    make: (lines) => Array.from({ length: Math.floor(lines / 4) }, (_, i) => [`// step ${i}`, `FOR u IN users FILTER u.n == ${i}`, `  UPDATE u WITH { seen: true } IN users OPTIONS { ignoreErrors: true }`, ''].join('\n')).join('\n'),
  },
  {
    name: 'ArangoDB JSON',
    rel: 'migrations/003_big.json',
    languageId: 'json',
    make: (lines) => `{\n  "operations": [\n${Array.from({ length: Math.floor((lines - 4) / 2) }, (_, i) => (i % 2 ? `    {"type": "aql",\n     "query": "FOR d IN c${i} FILTER d.x == ${i} UPDATE d WITH { y: 1 } IN c${i}"}` : `    {"type": "create_collection",\n     "name": "c${i}", "ifNotExists": true}`)).join(',\n')}\n  ]\n}\n`,
  },
  {
    name: 'arangojs migration (.ts)',
    rel: 'migrations/004_big.ts',
    languageId: 'typescript',
    make: (lines) => {
      const body = [];
      for (let i = 0; body.length < lines - 6; i++) {
        if (i % 3 === 0) body.push(`  await db.query(aql\`FOR u IN \${users} FILTER u.n == ${i} UPDATE u WITH { seen: true } IN \${users}\`);`);
        else if (i % 3 === 1) body.push(`  if (!(await db.collection('c${i}').exists())) await db.createCollection('c${i}');`);
        else body.push(`  await db.query('FOR d IN c${i - 1} FILTER d.x == ${i} REMOVE d IN c${i - 1} OPTIONS { ignoreErrors: true }');`);
      }
      return ["import { Database, aql } from 'arangojs';", '', 'export async function up(db: Database): Promise<void> {', "  const users = db.collection('users');", ...body, '}', ''].join('\n');
    },
  },
  {
    name: 'Rails seed (.rb)',
    rel: 'db/seeds.rb',
    languageId: 'ruby',
    make: (lines) => Array.from({ length: lines }, (_, i) => (i % 5 === 4 ? `Role.create!(name: "r${i}")` : `User.find_or_create_by!(email: "u${i}@example.com") { |u| u.name = "User ${i}" }`)).join('\n') + '\n',
  },
  {
    name: 'Rails migration (.rb)',
    rel: 'db/migrate/20240101000000_big.rb',
    languageId: 'ruby',
    make: (lines) => {
      const body = [];
      for (let i = 0; body.length < lines - 8; i++) {
        if (i % 3 === 0) body.push('    execute <<~SQL', `      CREATE TABLE IF NOT EXISTS t${i} (id bigint PRIMARY KEY, name text);`, `      CREATE INDEX t${i}_name ON t${i} (name);`, '    SQL');
        else if (i % 3 === 1) body.push(`    add_column :users, :c${i}, :integer, default: 0`);
        else body.push(`    execute "INSERT INTO t${i - 2} (id, name) VALUES (${i}, 'n${i}') ON CONFLICT DO NOTHING"`);
      }
      return ['class Big < ActiveRecord::Migration[7.1]', '  def up', ...body, '  end', '', '  def down', '    raise ActiveRecord::IrreversibleMigration', '  end', 'end', ''].join('\n');
    },
  },
  {
    name: 'Django migration (.py)',
    rel: 'migrations/0004_big.py',
    languageId: 'python',
    make: (lines) => {
      const ops = [];
      for (let i = 0; ops.length < lines - 12; i++) {
        if (i % 3 === 0) ops.push(`        migrations.RunSQL("CREATE TABLE IF NOT EXISTS t${i} (id int)", migrations.RunSQL.noop),`);
        else if (i % 3 === 1) ops.push(`        migrations.RunSQL(`, `            "INSERT INTO t${i - 1} (id) VALUES (${i}) ON CONFLICT DO NOTHING",`, `            reverse_sql="DELETE FROM t${i - 1} WHERE id = ${i}",`, `        ),`);
        else ops.push(`        migrations.AddField(model_name="m${i}", name="f${i}", field=models.IntegerField(default=0)),`);
      }
      return ['from django.db import migrations, models', '', '', 'def forwards(apps, schema_editor):', '    User = apps.get_model("app", "User")', '    User.objects.create(name="admin")', '', '', 'class Migration(migrations.Migration):', '    operations = [', '        migrations.RunPython(forwards),', ...ops, '    ]', ''].join('\n');
    },
  },
];

/** A small seeded PRNG (mulberry32), so every run makes the same edits. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * An editor's edits at random places: each one types a space at a random word boundary of a random
 * code line (after its indentation, so Python and YAML-like indentation stays valid), or deletes a
 * space typed earlier. `next(lines)` returns an LSP incremental change for the current lines and
 * applies it to them.
 */
export function randomEdits(seed) {
  const rand = prng(seed);
  const typed = [];
  return (lines) => {
    if (typed.length && rand() < 0.4) {
      const k = Math.floor(rand() * typed.length);
      const line = typed[k];
      typed.splice(k, 1);
      const l = lines[line];
      const indent = l.length - l.trimStart().length;
      const at = l.indexOf('  ', indent);
      if (at >= 0) {
        lines[line] = l.slice(0, at) + l.slice(at + 1);
        return { range: { start: { line, character: at }, end: { line, character: at + 1 } }, text: '' };
      }
    }
    for (;;) {
      const line = Math.floor(rand() * lines.length);
      const l = lines[line];
      const indent = l.length - l.trimStart().length;
      if (!l.trim() || l.includes('  ', indent)) continue;
      const spots = [];
      // Before a space inside the line: never at a line's end (a heredoc terminator must stay bare).
      for (let j = indent + 1; j < l.length; j++) if (l[j] === ' ') spots.push(j);
      if (!spots.length) continue;
      const at = spots[Math.floor(rand() * spots.length)];
      lines[line] = l.slice(0, at) + ' ' + l.slice(at);
      typed.push(line);
      return { range: { start: { line, character: at }, end: { line, character: at } }, text: ' ' };
    }
  };
}
