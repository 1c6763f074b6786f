import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CLI_VERSION, runCli } from '../../../src/cli/program';
import { captureIo } from './captureIo';

const PACKAGE_VERSION = (JSON.parse(readFileSync(path.join(__dirname, '../../../package.json'), 'utf8')) as { version: string }).version;

suite('(unit) cli: --version of the program and of a verb', () => {
  let dir: string;
  suiteSetup(() => (dir = mkdtempSync(path.join(tmpdir(), 'greenlight-cli-version-'))));
  suiteTeardown(() => rmSync(dir, { recursive: true, force: true }));

  test('greenlight --version and -V print the version of package.json and exit 0', async () => {
    assert.equal(CLI_VERSION, PACKAGE_VERSION);
    for (const flag of ['--version', '-V']) {
      const io = captureIo(dir);
      assert.equal(await runCli([flag], io), 0);
      assert.deepEqual(io.stdout, [PACKAGE_VERSION]);
    }
  });

  // Before the fix, each of these printed the program's version and exited 0 without running the
  // verb: a CI step that deploys `--version v1.2` reported success having done nothing.
  for (const argv of [
    ['deploy', 'shop:1.2', '--env', 'production', '--version', 'v1.2'],
    ['test', '--version', 'v1.2'],
    ['export', '--version', 'v1.2'],
    ['build'],
  ]) {
    test(`greenlight ${argv.join(' ')} runs the verb${argv.includes('--version') ? ' with its own --version' : ''} and names the missing project file before it needs Docker`, async () => {
      // No Docker engine answers at this DOCKER_HOST: the verb must still name the missing project
      // file, which it reads before it connects (the result must not depend on the machine's dockerd).
      const io = captureIo(dir, { DOCKER_HOST: 'unix:///nonexistent/greenlight-unit.sock' });
      const code = await runCli([...argv, '--config', 'absent.yaml'], io);
      assert.ok(!io.stdout.includes(PACKAGE_VERSION), `printed the program version: ${io.stdout.join('\n')}`);
      // The verb ran: it went looking for the project file (absent here) and failed on it.
      assert.notEqual(code, 0, `exit ${code}; stdout ${io.stdout.join('|')}; stderr ${io.stderr.join('|')}`);
      assert.match(io.stderr.join('\n'), /absent\.yaml/);
    });
  }
});
