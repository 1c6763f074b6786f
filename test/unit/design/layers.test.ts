import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { ESLint } from 'eslint';

// The engine's folders depend one way; the ESLint configuration is what enforces it in CI, so
// this checks the configuration itself refuses an upward import and lets a downward one through.
const root = path.resolve(__dirname, '../../..');

async function problems(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [r] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return r!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

suite('(unit) design: src/core depends one way, enforced by ESLint', () => {
  test('migrate, backup and ship may not import deploy; lint may not import migrate', async () => {
    assert.match((await problems('src/core/migrate/x.ts', "import { LABEL } from '../deploy/plan';\nexport const y = LABEL;\n")).join('\n'), /sits below .*deploy/);
    assert.match((await problems('src/core/backup/adapters/x.ts', "import { LABEL } from '../../deploy/plan';\nexport const y = LABEL;\n")).join('\n'), /sits below .*deploy/);
    assert.match((await problems('src/core/ship/x.ts', "import { LABEL } from '../deploy/plan';\nexport const y = LABEL;\n")).join('\n'), /sits below/);
    assert.match((await problems('src/core/lint/sql/x.ts', "import { loadMigrations } from '../../migrate/files';\nexport const y = loadMigrations;\n")).join('\n'), /sits below/);
  });

  test('downward imports and drivers in adapter files are allowed', async () => {
    assert.deepEqual(await problems('src/core/deploy/x.ts', "import { createBackup } from '../backup/backups';\nexport const y = createBackup;\n"), []);
    assert.deepEqual(await problems('src/core/ship/fooAdapter.ts', "import Docker from 'dockerode';\nexport const y = Docker;\n"), []);
    assert.match((await problems('src/core/ship/x.ts', "import Docker from 'dockerode';\nexport const y = Docker;\n")).join('\n'), /Drivers are used only in adapter files/);
  });
});
