// Every value of greenlight.yaml that reaches a command on a host, against hostile input: values
// that look like options, climb out of their directory, carry shell syntax or run on for
// kilobytes. Two fences are tested: the schema refuses them with file:line (first suite), and the
// argv builders never put a config value where the tool could read it as an option (second).
import * as assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { parseConfig } from '../../../src/core/config/load';
import { fileCommands, findStart, pgCommands, type PgTarget } from '../../../src/core/backup/pgCommands';
import { arangoHostPaths } from '../../../src/core/backup/arangoRemote';
import { stateCommands } from '../../../src/core/deploy/plan';
import { artifactCommands } from '../../../src/core/ship/ship';

function base(): Record<string, unknown> {
  return {
    project: 'shop',
    services: [{ name: 'web', port: 8080, health: { path: '/health' }, databaseUrlEnv: 'DATABASE_URL', env: { LOG_LEVEL: 'info' }, secretEnv: ['API_KEY'] }],
    database: { kind: 'postgres', name: 'app', local: { url: 'postgres://app@127.0.0.1:5432/app', passwordEnv: 'LOCAL_PW' } },
    environments: {
      production: {
        ssh: { host: 'prod.example.test', port: 22, user: 'deploy' },
        docker: { socket: '/var/run/docker.sock' },
        host: '198.18.77.2',
        database: { host: '127.0.0.1', port: 5432, name: 'appdb', user: 'app', passwordEnv: 'PROD_DB_PASSWORD', container: { name: 'shop-db', host: '127.0.0.1', port: 5432 } },
        backups: { dir: '/var/backups/greenlight', keep: 5 },
        releaseTasks: [{ name: 'warm-cache', command: ['bin/warm'] }],
        stateDir: '.greenlight',
        ship: { mode: 'registry', registry: { push: '127.0.0.1:25000', pull: 'registry.example.test:5000/team' } },
      },
    },
  };
}

type Path = readonly (string | number)[];
const E = ['environments', 'production'] as const;

/** The string-valued fields that reach a host command (an argv element, a path, a name or an HTTP request). */
const STRING_FIELDS: readonly Path[] = [
  ['project'],
  ['services', 0, 'name'],
  ['services', 0, 'databaseUrlEnv'],
  ['services', 0, 'secretEnv', 0],
  ['services', 0, 'health', 'path'],
  ['database', 'name'],
  ['database', 'local', 'passwordEnv'],
  [...E, 'ssh', 'host'],
  [...E, 'ssh', 'user'],
  [...E, 'docker', 'socket'],
  [...E, 'host'],
  [...E, 'database', 'host'],
  [...E, 'database', 'name'],
  [...E, 'database', 'user'],
  [...E, 'database', 'passwordEnv'],
  [...E, 'database', 'container', 'name'],
  [...E, 'database', 'container', 'host'],
  [...E, 'backups', 'dir'],
  [...E, 'releaseTasks', 0, 'name'],
  [...E, 'stateDir'],
  [...E, 'ship', 'registry', 'push'],
  [...E, 'ship', 'registry', 'pull'],
];

const PORT_FIELDS: readonly Path[] = [
  ['services', 0, 'port'],
  [...E, 'ssh', 'port'],
  [...E, 'database', 'port'],
  [...E, 'database', 'container', 'port'],
];

const HOSTILE_STRINGS: readonly { kind: string; value: string }[] = [
  { kind: 'option-looking', value: '-delete' },
  { kind: 'option-looking', value: '--help' },
  { kind: 'option-looking', value: '-oProxyCommand=sh' },
  { kind: 'path-traversing', value: '../../etc/cron.d' },
  { kind: 'path-traversing', value: '/var/backups/../../etc' },
  { kind: 'shell-meta', value: '$(rm -rf ~)' },
  { kind: 'shell-meta', value: 'a;reboot' },
  { kind: 'shell-meta', value: '`id`' },
  { kind: 'shell-meta', value: 'a b' },
  { kind: 'shell-meta', value: "it's" },
  { kind: 'shell-meta', value: 'x|sh' },
  { kind: 'shell-meta', value: 'line\nbreak' },
  { kind: 'shell-meta', value: 'GET /\r\nX: y' },
  { kind: 'overlong', value: `/${'a'.repeat(5000)}` },
  { kind: 'overlong', value: 'a'.repeat(5000) },
];

const HOSTILE_PORTS: readonly unknown[] = [-1, 0, 65536, 22.5, '22 -oProxyCommand=sh', '-p'];

function setIn(obj: Record<string, unknown>, p: Path, value: unknown): void {
  let o = obj as Record<string | number, unknown>;
  for (const k of p.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  o[p[p.length - 1]!] = value;
}

function dotted(p: Path): string {
  return p.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('').replace(/^\./, '');
}

function expectRefused(p: Path, value: unknown): void {
  const config = base();
  setIn(config, p, value);
  const text = stringify(config, { lineWidth: 0 });
  const r = parseConfig(text, '/w/greenlight.yaml');
  assert.ok(!r.ok, `${dotted(p)} = ${JSON.stringify(value).slice(0, 60)} was accepted`);
  const problem = r.problems.find((x) => x.message.startsWith(`${dotted(p)}:`));
  assert.ok(problem, `no problem names ${dotted(p)}: ${r.problems.map((x) => x.message).join(' | ')}`);
  assert.equal(problem.file, '/w/greenlight.yaml');
  // file:line points at the value's own line (its key is on it, or the "- " of a list item).
  const last = p[p.length - 1]!;
  const line = text.split('\n')[problem.line - 1] ?? '';
  assert.ok(typeof last === 'number' ? /^\s*- /.test(line) : line.includes(`${last}:`), `line ${problem.line} is "${line.slice(0, 80)}", not the one of ${dotted(p)}`);
}

suite('(unit) config: hostile values of every field that reaches a host command', () => {
  test('the base configuration is valid (so each refusal below is the hostile value\'s)', () => {
    const r = parseConfig(stringify(base()), '/w/greenlight.yaml');
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  });

  for (const p of STRING_FIELDS) {
    for (const h of HOSTILE_STRINGS) {
      // A health path is an HTTP path on the service, not a host path: "/.." is for the app to refuse.
      if (dotted(p).endsWith('health.path') && h.value.startsWith('/var/backups/..')) continue;
      test(`${dotted(p)}: ${h.kind} ${JSON.stringify(h.value.length > 40 ? `${h.value.slice(0, 20)}…(${h.value.length})` : h.value)} is refused at its line`, () => expectRefused(p, h.value));
    }
  }
  for (const p of PORT_FIELDS) {
    for (const v of HOSTILE_PORTS) test(`${dotted(p)}: ${JSON.stringify(v)} is refused at its line`, () => expectRefused(p, v));
  }

  test('an environment name that looks like an option is refused', () => {
    const config = base();
    const envs = config.environments as Record<string, unknown>;
    envs['-rf'] = envs.production;
    delete envs.production;
    const r = parseConfig(stringify(config), '/w/greenlight.yaml');
    assert.ok(!r.ok && r.problems.some((x) => /^environments/.test(x.message)), JSON.stringify(!r.ok && r.problems));
  });

  test('the issue\'s case: backups.dir "-delete" fails config check with file:line', () => {
    const text = 'project: shop\nenvironments:\n  production:\n    ssh: { host: h.example.test, user: deploy }\n    backups:\n      dir: "-delete"\n';
    const r = parseConfig(text, '/w/greenlight.yaml');
    assert.ok(!r.ok);
    assert.deepEqual(r.problems.map((x) => [x.line, x.column]), [[6, 12]]);
    assert.match(r.problems[0]!.message, /^environments\.production\.backups\.dir: an absolute path/);
  });

  test('ordinary values of each kind stay accepted', () => {
    const config = base();
    setIn(config, [...E, 'ssh', 'host'], '2001:db8::1');
    setIn(config, [...E, 'stateDir'], '/srv/greenlight/state');
    setIn(config, [...E, 'backups', 'dir'], '/srv/backups/shop_2026.v1');
    setIn(config, [...E, 'database', 'name'], 'shop-prod');
    setIn(config, [...E, 'ssh', 'user'], 'greenlight-deploy');
    setIn(config, [...E, 'database', 'user'], 'app@shop-db');
    setIn(config, [...E, 'host'], 'app.internal.example.test');
    setIn(config, ['services', 0, 'health', 'path'], '/health?deep=1&x=%20');
    const r = parseConfig(stringify(config), '/w/greenlight.yaml');
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  });
});

// ----- second fence: where each builder puts a value ---------------------------------------------

/** Options whose next argv element is their value (getopt_long's required_argument, pflag's string flags). */
const TAKES_VALUE = new Set(['--host', '--port', '--username', '--dbname', '--maintenance-db', '--file', '--input', '--format', '--command', '-m', '-n', '-e']);

/** The constant wrapper scripts: how many leading parameters are redirect targets, and whether the rest is exec'd as a command. */
function scriptShape(script: string): { files: number; exec: boolean } | undefined {
  if (/^umask 077 && cat >>? "\$1"$/.test(script)) return { files: 1, exec: false };
  if (/out=\$1; in=\$2; shift 2; exec "\$@"/.test(script)) return { files: 2, exec: true };
  if (/exec "\$@"$/.test(script)) return { files: 0, exec: true };
  return undefined;
}

/** Where in argv the value could be read as an option (or as part of find's expression); empty when nowhere. */
function optionPlacements(argv: readonly string[], value: string): string[] {
  const bad: string[] = [];
  const looksLikeOption = (a: string): boolean => a.includes(value) && /^[-(!]/.test(a);
  if (argv[0] === 'sh' && argv[1] === '-c') {
    const script = argv[2]!;
    if (script.includes(value)) bad.push(`in the shell script itself: ${script}`);
    const shape = scriptShape(script);
    if (!shape) return [...bad, `unknown wrapper script ${script}`];
    const rest = argv.slice(4 + shape.files);
    if (shape.exec) return [...bad, ...optionPlacements(rest, value)];
    return rest.length ? [...bad, `arguments after the redirect targets: ${rest.join(' ')}`] : bad;
  }
  if (argv[0] === 'env') {
    let i = 1;
    while (argv[i]?.includes('=') && !argv[i]!.startsWith('-')) i++;
    return optionPlacements(argv.slice(i), value);
  }
  if (argv[0] === 'find') {
    // find has no `--` for its start points: the start must not look like an expression.
    if (looksLikeOption(argv[1]!)) bad.push(`find start ${argv[1]}`);
    if (argv.slice(2).some((a) => a.includes(value))) bad.push('in find\'s expression');
    return bad;
  }
  const exec = argv[0] === 'docker' ? argv.indexOf('exec') : -1;
  let end = argv.length;
  if (exec > 0) {
    // docker … exec [opts] [--] NAME CMD…: NAME is docker's, CMD… is the tool's own argv.
    let i = exec + 1;
    while (i < argv.length && argv[i] !== '--' && argv[i]!.startsWith('-')) i += TAKES_VALUE.has(argv[i]!) ? 2 : 1;
    const name = argv[i] === '--' ? i + 1 : i;
    end = name + 1;
    bad.push(...optionPlacements(argv.slice(end), value));
  }
  let afterDashDash = false;
  for (let i = 1; i < end; i++) {
    const a = argv[i]!;
    if (a === '--' && !afterDashDash) {
      afterDashDash = true;
      continue;
    }
    if (!afterDashDash && looksLikeOption(a) && !TAKES_VALUE.has(argv[i - 1]!)) bad.push(`argv[${i}] = ${a} (${argv[0]})`);
  }
  return bad;
}

// Each distinct from the builders' own constant flags, so finding the value means finding the config value.
const OPTION_LIKE = ['-delete', '--help', '-rfv', '(hostile', '!hostile', '-oProxyCommand=sh'];

function pgTarget(v: string): PgTarget[] {
  const plain: PgTarget = { host: v, port: 5432, database: v, user: v };
  return [plain, { ...plain, container: { name: v, dockerSocket: `/${v}`, host: v, port: 5432 } }];
}

/** Every argv builder that takes config values, with the value v in every config-derived position. */
function builders(v: string): { name: string; argv: readonly string[] }[] {
  const out: { name: string; argv: readonly string[] }[] = [];
  const file = `${v}/x.dump`;
  for (const t of pgTarget(v)) {
    const where = t.container ? 'in a container' : 'on the host';
    out.push({ name: `pg dump ${where}`, argv: pgCommands.dump(t, file).argv });
    out.push({ name: `pg list ${where}`, argv: pgCommands.list(t, file).argv });
    out.push({ name: `pg readAll ${where}`, argv: pgCommands.readAll(t, file).argv });
    out.push({ name: `pg restore ${where}`, argv: pgCommands.restore(t, file).argv });
    out.push({ name: `pg restoreInto ${where}`, argv: pgCommands.restoreInto(t, file, v).argv });
    out.push({ name: `pg createDb ${where}`, argv: pgCommands.createDb(t, v).argv });
    out.push({ name: `pg dropDb ${where}`, argv: pgCommands.dropDb(t, v).argv });
    out.push({ name: `pg countTables ${where}`, argv: pgCommands.countTables(t, v).argv });
    out.push({ name: `pg ping ${where}`, argv: pgCommands.ping(t).argv });
  }
  const arango = arangoHostPaths(v, 'id');
  for (const [k, f] of Object.entries(fileCommands)) {
    const argv = k === 'move' ? fileCommands.move(file, arango.file) : k === 'remove' ? fileCommands.remove(file, arango.meta) : (f as (p: string) => string[])(k === 'mkdir' || k === 'readMeta' || k === 'listDumps' || k === 'df' ? v : file);
    out.push({ name: `file ${k}`, argv });
  }
  const s = stateCommands(v);
  for (const [k, a] of Object.entries(s)) if (Array.isArray(a)) out.push({ name: `state ${k}`, argv: a });
  out.push({ name: 'state tailAudit', argv: s.tailAudit(20) });
  const remote = `${v}/incoming/web.tar.gz.partial`;
  out.push({ name: 'ship mkdir', argv: artifactCommands.mkdir(`${v}/incoming`) });
  out.push({ name: 'ship upload', argv: artifactCommands.upload(remote) });
  out.push({ name: 'ship sha256', argv: artifactCommands.sha256(remote) });
  out.push({ name: 'ship load', argv: artifactCommands.load(`/${v}`, remote) });
  out.push({ name: 'ship remove', argv: artifactCommands.remove(remote) });
  return out;
}

suite('(unit) argv builders: no greenlight.yaml value where a host tool reads options', () => {
  for (const v of OPTION_LIKE) {
    for (const b of builders(v)) {
      test(`${b.name} with ${JSON.stringify(v)}`, () => {
        assert.ok(b.argv.some((a) => a.includes(v)), 'the value reached this argv (else the case tests nothing)');
        assert.deepEqual(optionPlacements(b.argv, v), [], b.argv.join(' '));
      });
    }
  }

  test('the checker itself finds the placements the issue reported (and tools read as options)', () => {
    assert.deepEqual(optionPlacements(['find', '-delete', '-maxdepth', '1'], '-delete'), ['find start -delete']);
    assert.deepEqual(optionPlacements(['mkdir', '-p', '-m', '700', '-rf'], '-rf'), ['argv[4] = -rf (mkdir)']);
    assert.deepEqual(optionPlacements(['docker', 'exec', '-i', '-rf', 'pg_dump'], '-rf'), ['argv[3] = -rf (docker)']);
    assert.deepEqual(optionPlacements(['sh', '-c', 'exec "$@"', 'n', 'rm', '-rf'], '-rf'), ['argv[1] = -rf (rm)']);
    assert.deepEqual(optionPlacements(['rm', '-f', '--', '-rf'], '-rf'), []);
    assert.deepEqual(optionPlacements(['pg_dump', '--dbname', '-rf'], '-rf'), []);
  });

  test('find starts at "./" for a relative directory and as given for an absolute one', () => {
    assert.equal(findStart('-delete'), './-delete');
    assert.equal(findStart('.greenlight'), './.greenlight');
    assert.equal(findStart('/var/backups'), '/var/backups');
  });
});
