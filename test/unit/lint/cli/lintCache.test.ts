// `greenlight lint --cache`: a rerun lints only files whose content changed, prints the same
// report, and a different rule setting discards the cache.
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runLint, type LintCommandOptions, type RunnerFactory } from '../../../../src/cli/commands/lint';
import type { CliIo } from '../../../../src/cli/io';
import { toyLinter } from '../report/toyLanguage';

suite('(unit) lint cli: --cache', () => {
  let dir: string;
  setup(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'greenlight-lint-cache-'));
    mkdirSync(path.join(dir, 'm'));
    writeFileSync(path.join(dir, 'm/1.sql'), 'CREATE TABLE a (id int);\n');
    writeFileSync(path.join(dir, 'm/2.sql'), 'SELECT 1;\n');
  });
  teardown(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (opts: Partial<LintCommandOptions>): Promise<{ out: string; linted: string[]; code: number }> => {
    const linter = toyLinter();
    const linted: string[] = [];
    const counting: RunnerFactory = () => ({ lint: (f, t, o) => (linted.push(path.basename(f)), linter.lint(f, t, o)) });
    const out: string[] = [];
    const io: CliIo = { cwd: dir, env: {}, out: (t) => out.push(t), err: (t) => out.push(t), exit: () => undefined };
    const code = await runLint(['m'], { format: 'json', failOn: 'warning', config: 'greenlight.yaml', rule: [], cache: true, ...opts }, io, linter, '1', counting);
    return { out: out.join('\n'), linted: linted.sort(), code };
  };

  test('the second run lints nothing and prints the same report; a changed file is linted again', async () => {
    const first = await run({});
    assert.deepEqual(first.linted, ['1.sql', '2.sql']);
    assert.ok(existsSync(path.join(dir, '.greenlight/lint-cache.json')));
    const second = await run({});
    assert.deepEqual(second.linted, []);
    assert.equal(second.out, first.out);
    assert.equal(second.code, first.code);
    writeFileSync(path.join(dir, 'm/2.sql'), 'TRUNCATE a;\n');
    const third = await run({});
    assert.deepEqual(third.linted, ['2.sql']);
    assert.match(third.out, /toy-truncate/);
  });

  test('another --rule setting or --cache-location starts from an empty cache', async () => {
    await run({});
    assert.deepEqual((await run({ rule: ['toy-create-table=off'] })).linted, ['1.sql', '2.sql']);
    assert.deepEqual((await run({ cacheLocation: 'elsewhere.json' })).linted, ['1.sql', '2.sql']);
    assert.ok(existsSync(path.join(dir, 'elsewhere.json')));
  });
});
