// The arangojs extraction keeps what it read of each call by the call's text (src/core/lint/js/arangojs.ts,
// factsOf), and for a document being edited the captures of its unchanged lines (capturesOf). After
// random edits anywhere in a migration — calls, nested aql fragments, guards, early returns, inserts,
// `else`, a down function, its name — the extraction with what was kept from earlier versions equals
// one without any.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { forgetArangoJsCallFacts, forgetArangoJsCaptures, parseArangoJs } from '../../../../src/core/lint/js/arangojs';

const MIGRATION = [
  "import { Database, aql } from 'arangojs';",
  '',
  'export async function up(db: Database): Promise<void> {',
  "  const users = db.collection('users');",
  '  const filter = aql`FILTER u.active`;',
  '  await db.query(aql`FOR u IN ${users} ${filter} UPDATE u WITH { n: u.n + 1 } IN ${users}`);',
  "  const existing = await db.query(aql`FOR u IN users FILTER u.name == 'x' RETURN u`);",
  '  if (!existing.count) await db.query(aql`INSERT { name: "x" } INTO users`);',
  "  await db.createCollection('audit');",
  "  if (!(await db.collection('logs').exists())) await db.createCollection('logs');",
  "  await db.query('FOR d IN logs FILTER d.old REMOVE d IN logs');",
  "  await db.query({ query: 'FOR d IN logs REMOVE d IN logs', bindVars: {} });",
  "  await users.save({ _key: 'admin' }).catch(() => undefined);",
  "  await users.save({ name: 'b' }, { overwriteMode: 'ignore' });",
  '  await db.query(`FOR d IN ${aql.literal("logs")} REMOVE d IN logs`);',
  "  try { await db.collection('tmp').drop(); } catch {}",
  '  if (await db.collection("z").exists()) {',
  '    return;',
  '  }',
  "  await db.collection('z').drop();",
  "  (await db.collection('y').exists()) ||",
  "    (await db.createCollection('y'));",
  '}',
  '',
  'export const down =',
  '  async (db: Database): Promise<void> => {',
  "    await db.collection('audit').drop();",
  '  };',
  '',
].join('\n');

const editArb = fc.record({
  // Per mille of the text (fc.double would put most edits at its very start).
  at: fc.nat({ max: 1000 }),
  remove: fc.nat({ max: 8 }),
  insert: fc.oneof(
    fc.constantFrom(' ', 'x', 'users', 'aql', '`', "'", '(', ')', '{', '}', ';', '\n', '${users}', 'IN ', 'REMOVE d IN logs', '_key: 1, '),
    fc.constantFrom("  await db.collection('c').drop();\n", '  await db.query(aql`FOR x IN y REMOVE x IN y`);\n', '  if (await db.collection("c").exists()) return;\n', 'const users = db.collection("u");\n', ' else ', 'x', '/*', '*/', '//', 'down', 'up', '}\n', '{\n', 'if (x) ', 'return;\n'),
    fc.string({ maxLength: 3 }),
  ),
});

function apply(text: string, e: { at: number; remove: number; insert: string }): string {
  const at = Math.floor((e.at / 1000) * text.length);
  return text.slice(0, at) + e.insert + text.slice(Math.min(text.length, at + e.remove));
}

suite('(unit) lint: arangojs call facts kept across edits', () => {
  test('fast-check: the extraction with facts kept from earlier versions equals one without', async () => {
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('typescript', 'javascript') as fc.Arbitrary<'typescript' | 'javascript'>, fc.array(editArb, { minLength: 1, maxLength: 10 }), async (dialect, edits) => {
        let text = dialect === 'typescript' ? MIGRATION : MIGRATION.replace(/: Database|: Promise<void>/g, '');
        await parseArangoJs(text, dialect);
        for (const e of edits) {
          text = apply(text, e);
          const kept = await parseArangoJs(text, dialect);
          forgetArangoJsCallFacts();
          const fresh = await parseArangoJs(text, dialect);
          assert.deepEqual(kept, fresh);
          if (fresh.ok && fresh.unit.queries.length) compared++;
          // Warm again from this version, as an editor session would be.
          await parseArangoJs(text, dialect);
        }
      }),
      { numRuns: 300 },
    );
    // The property says nothing if every edit broke the syntax.
    assert.ok(compared > 100, `only ${compared} versions with queries compared`);
  });

  test('fast-check: a document edited version after version gets the extraction of a fresh parse (captures of unchanged lines kept)', async () => {
    let doc = 0;
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('typescript', 'javascript') as fc.Arbitrary<'typescript' | 'javascript'>, fc.array(editArb, { minLength: 1, maxLength: 12 }), async (dialect, edits) => {
        const file = `/p/migrations/fuzz_${doc++}.${dialect === 'typescript' ? 'ts' : 'js'}`;
        let text = dialect === 'typescript' ? MIGRATION : MIGRATION.replace(/: Database|: Promise<void>/g, '');
        await parseArangoJs(text, dialect, file);
        for (const e of edits) {
          text = apply(text, e);
          const kept = await parseArangoJs(text, dialect, file);
          const fresh = await parseArangoJs(text, dialect);
          assert.deepEqual(kept, fresh);
          if (fresh.ok) compared++;
        }
      }),
      { numRuns: 300 },
    );
    forgetArangoJsCaptures();
    assert.ok(compared > 100, `only ${compared} parsed versions compared`);
  });
});
