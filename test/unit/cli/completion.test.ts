// The completion scripts run in the real shells: bash and zsh with their completion entry points
// driven by hand (words and cursor set as the shell would), fish through its own `complete -C`.
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../../src/cli/program';
import { captureIo } from './captureIo';

function has(shell: string): boolean {
  return spawnSync(shell, ['-c', 'exit 0']).status === 0;
}

async function script(shell: string): Promise<string> {
  const io = captureIo(process.cwd());
  assert.equal(await runCli(['completion', shell], io), 0);
  return io.stdout.join('\n');
}

suite('(unit) cli: shell completion', () => {
  let dir: string;
  suiteSetup(() => (dir = mkdtempSync(path.join(tmpdir(), 'greenlight-completion-'))));
  suiteTeardown(() => rmSync(dir, { recursive: true, force: true }));

  test('an unknown shell is a usage error (exit 2) naming the choices', async () => {
    const io = captureIo(dir);
    assert.equal(await runCli(['completion', 'tcsh'], io), 2);
    assert.match(io.stderr.join('\n'), /Allowed choices are bash, zsh, fish/);
  });

  test('bash: verbs, sub-verbs, options of the verb, option choices and argument choices', async () => {
    const file = path.join(dir, 'greenlight.bash');
    writeFileSync(file, await script('bash'));
    const probe = `source ${JSON.stringify(file)}
t() { COMP_WORDS=("$@"); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); COMPREPLY=(); _greenlight; echo "\${COMPREPLY[*]}"; }
t greenlight ''
t greenlight ba
t greenlight backup ''
t greenlight backup list --e
t greenlight test --mode ''
t greenlight completion ''
t greenlight deploy img --artifact ''
`;
    const lines = execFileSync('bash', ['--norc', '-c', probe], { encoding: 'utf8' }).split('\n');
    assert.deepEqual(lines[0]!.split(' ').sort(), ['backup', 'build', 'completion', 'config', 'deploy', 'exec', 'export', 'help', 'init', 'lint', 'logs', 'migrate', 'recover', 'rollback', 'ship', 'status', 'test']);
    assert.equal(lines[1], 'backup');
    assert.deepEqual(lines[2]!.split(' ').sort(), ['create', 'download', 'drill', 'help', 'list', 'prune', 'restore', 'verify']);
    assert.equal(lines[3], '--env');
    assert.equal(lines[4], 'test-db snapshot none');
    assert.equal(lines[5], 'bash zsh fish');
    assert.equal(lines[6], '', 'a file-valued option leaves the completion to bash\'s file names');
  });

  test('zsh: the completion function offers the same, with descriptions', async function () {
    if (!has('zsh')) this.skip();
    const file = path.join(dir, '_greenlight');
    writeFileSync(file, await script('zsh'));
    const probe = `compdef() { :; }
_describe() { local -a arr; arr=("\${(@P)4}"); print -r -- "\${(j:|:)arr}"; }
compadd() { shift; print -r -- "$*"; }
_files() { print -r -- files; }
source ${JSON.stringify(file)}
t() { words=("$@"); CURRENT=\${#words}; _greenlight; }
t greenlight backup ''
t greenlight test --mode ''
t greenlight deploy img --e
t greenlight deploy img --artifact ''
`;
    const lines = execFileSync('zsh', ['-f', '-c', probe], { encoding: 'utf8' }).split('\n');
    assert.match(lines[0]!, /^create:pg_dump on the host .*\|list:backups, newest first\|/);
    assert.equal(lines[1], 'test-db snapshot none');
    assert.match(lines[2]!, /^--env:environment from greenlight\.yaml[^|]*\|-e:environment from greenlight\.yaml[^|]*\|/);
    assert.equal(lines[3], 'files');
  });

  test('fish: complete -C gives verbs with descriptions, sub-verbs and choices', async function () {
    if (!has('fish')) this.skip();
    const file = path.join(dir, 'greenlight.fish');
    writeFileSync(file, await script('fish'));
    const run = (line: string): string[] => execFileSync('fish', ['--no-config', '-c', `source ${JSON.stringify(file)}; complete -C ${JSON.stringify(line)}`], { encoding: 'utf8' }).trim().split('\n');
    assert.ok(run('greenlight ').includes('deploy\tdeploy a tested image: preflight, lock, ship, backup, health, release tasks, swap, automatic rollback'));
    assert.deepEqual(run('greenlight backup ').map((l) => l.split('\t')[0]).sort(), ['create', 'download', 'drill', 'help', 'list', 'prune', 'restore', 'verify']);
    assert.deepEqual(run('greenlight test --mode ').map((l) => l.split('\t')[0]).sort(), ['none', 'snapshot', 'test-db']);
    assert.deepEqual(run('greenlight status --j').map((l) => l.split('\t')[0]), ['--json']);
  });
});
