// Deploy benchmark, on the test bed's production host (bash test/testbed/up.sh), in one run:
//  - ship: Greenlight's stream ship (docker save by ID → ssh2 → the remote engine's load, sha256
//    on the fly, image ID verified, tagged) against seed 000's pipeline on the SAME image:
//    `docker save | gzip > f` → `sha256sum` → `scp` → on the host `sha256sum -c` and
//    `gunzip -c f | docker load`. The image is removed from the host before every run.
//  - deploy switch time (old container stopped → new one answering healthy) and the whole
//    deploy, for the demo web service (node + pg) with its database on the host;
//  - rollback time (manual rollback to the previous retained version, healthy);
//  - backup throughput: Greenlight's backup (pg_dump -Fc on the host, verified by reading the
//    whole archive back, sha256, 0600, metadata) against raw `pg_dump -Fc` over ssh, on the same
//    database, filled first with ~BENCH_DB_MB MB of rows.
// Prints the figures and rewrites the "deploy" section of docs/benchmarks.md.
// Run: npm run bench -- deploy   (BENCH_ROUNDS=n, BENCH_DB_ROWS=n; --no-write leaves the doc alone)
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { createBackup } from '../../src/core/backup/backups';
import { quietContext, type JobContext } from '../../src/core/common/job';
import { Secret } from '../../src/core/common/secret';
import { configSchema, type GreenlightConfig } from '../../src/core/config/schema';
import { deploy } from '../../src/core/deploy/deploy';
import { resolveEnvironment } from '../../src/core/deploy/environment';
import { LABEL } from '../../src/core/deploy/plan';
import { rollback } from '../../src/core/deploy/rollback';
import { buildImages } from '../../src/core/images/build';
import { openLedger } from '../../src/core/images/ledger';
import { localDocker } from '../../src/core/images/adapters/dockerodeAdapter';
import { RemoteHost } from '../../src/core/ship/remoteHost';
import { shipImage } from '../../src/core/ship/ship';
import { testbed } from '../../test/integration/testbed';
import { median, replaceSection } from './_report';

const root = path.resolve(__dirname, '../..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DB_ROWS = Number(process.env.BENCH_DB_ROWS ?? 300000);
const DB_PASSWORD = 'apppass'; // the test bed's database password (test/testbed/up.sh)
const PORT = 18150;
const BENCH_DB = 'appdb_bench';

const secs = (ms: number): string => (ms / 1000).toFixed(2);
const all = (xs: number[], f = secs): string => xs.map((x) => f(x)).join(', ');

function logContext(prefix: string): JobContext {
  return { ...quietContext(), log: (l, level) => (level === 'error' || process.env.BENCH_VERBOSE ? console.log(`    ${prefix}${level ?? 'info'}: ${l}`) : undefined) };
}

/** Runs a fixed bash script with positional arguments (never spliced into the script). */
function sh(script: string, ...args: string[]): string {
  const r = spawnSync('bash', ['-c', `set -euo pipefail; ${script}`, 'bench', ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`bench script failed (exit ${r.status}): ${script}\n${r.stderr}`);
  return r.stdout;
}

void (async () => {
  const bed = (() => {
    try {
      return testbed();
    } catch (e) {
      console.error(`deploy bench: ${(e as Error).message}`);
      process.exit(1);
    }
  })();
  const sshConfig = path.join(bed.root, 'ssh', 'config');
  const target = { host: bed.sshHost, port: bed.sshPort, user: bed.sshUser, identityFile: bed.sshKeyFile, hostKey: bed.hostKey };
  const engine = localDocker();
  await engine.ping().catch((e: Error) => {
    console.error(`deploy bench: no Docker engine at ${engine.endpoint} (${e.message}); run bash test/testbed/up.sh`);
    process.exit(1);
  });
  // The engine that built and tested the image is the one ship reads it from.
  const local = engine;
  const ctx = quietContext();
  const host = await RemoteHost.connect(target, bed.prodDockerSock, ctx);
  const work = mkdtempSync(path.join(tmpdir(), 'gl-bench-deploy-'));
  try {
    // ---------------------------------------------------------------------------- the image
    console.log('building the demo web service image (cached when unchanged) …');
    const build = await buildImages({ workspaceRoot: root, engine }, ctx);
    const image = build.images[0]!;
    const info = (await local.inspectImage(image.tag))!;
    const mb = info.sizeBytes / 1e6;
    console.log(`image ${image.tag} (${info.id.slice(7, 19)}), ${mb.toFixed(1)} MB`);

    const removeRemote = async (): Promise<void> => {
      const there = await host.docker.inspectImage(info.id);
      for (const c of await host.docker.listContainers({ [LABEL.imageId]: info.id })) await host.docker.removeContainer(c.id);
      for (const t of there?.repoTags ?? []) await host.docker.removeImage(t);
      await host.docker.removeImage(info.id);
      if (await host.docker.inspectImage(info.id)) throw new Error(`could not remove ${info.id} from the production engine before a ship run`);
    };

    // ----------------------------------------------------------------------------- ship
    const ours: number[] = [];
    const seed: number[] = [];
    let sentBytes = 0;
    let gzBytes = 0;
    const remoteDir = `.greenlight/bench-incoming-${randomBytes(3).toString('hex')}`;
    for (let i = 0; i < ROUNDS; i++) {
      // Alternate the order so page-cache warmth favours neither side.
      for (const which of i % 2 === 0 ? ['ours', 'seed'] : ['seed', 'ours']) {
        await removeRemote();
        const t = performance.now();
        if (which === 'ours') {
          // One SSH connection per operation, opened inside the measurement, like the CLI.
          const h = await RemoteHost.connect(target, bed.prodDockerSock, ctx);
          try {
            const r = await shipImage(ctx, local, h, { image: image.tag, mode: 'stream' });
            sentBytes = r.bytes;
          } finally {
            h.close();
          }
          ours.push(performance.now() - t);
        } else {
          const f = path.join(work, 'image.tar.gz');
          rmSync(f, { force: true });
          sh(
            'docker save "$1" | gzip > "$2"; (cd "$(dirname "$2")" && sha256sum "$(basename "$2")" > "$2.sha256"); ' +
              'ssh -F "$3" prod mkdir -p "$4"; scp -q -F "$3" "$2" "$2.sha256" prod:"$4"/; ' +
              'ssh -F "$3" prod "cd $4 && sha256sum --quiet -c image.tar.gz.sha256 && gunzip -c image.tar.gz | docker load -q && rm -f image.tar.gz image.tar.gz.sha256"',
            image.tag,
            f,
            sshConfig,
            remoteDir,
          );
          seed.push(performance.now() - t);
          gzBytes = statSync(f).size;
        }
        const landed = await host.docker.inspectImage(info.id);
        if (landed?.id !== info.id) throw new Error(`${which}: the production engine does not have ${info.id} after the run`);
      }
    }
    await host.exec(['rm', '-rf', '--', remoteDir]);
    const shipRatio = median(seed) / median(ours);
    console.log(`ship: greenlight ${all(ours)} s, seed pipeline ${all(seed)} s, ratio ${shipRatio.toFixed(2)}`);

    // --------------------------------------------------------------- the benchmark database
    // The password goes in on stdin, as Greenlight's own backup commands pass it (src/core/backup/pgCommands.ts).
    const psql = async (sql: string, db = BENCH_DB): Promise<string> =>
      (
        await host.run(['sh', '-c', 'IFS= read -r PGPASSWORD; export PGPASSWORD; exec "$@"', 'bench-psql', 'psql', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-U', 'app', '-d', db, '-c', sql], {
          stdin: `${DB_PASSWORD}\n`,
        })
      ).trim();
    await psql(`DROP DATABASE IF EXISTS ${BENCH_DB} WITH (FORCE)`, 'appdb');
    await psql(`CREATE DATABASE ${BENCH_DB}`, 'appdb');
    console.log(`filling ${BENCH_DB} with ${DB_ROWS} items and ${Math.floor(DB_ROWS / 3)} events …`);
    const fillStart = performance.now();
    await psql(
      `CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL, sku text, payload text, qty int, price_cents int NOT NULL DEFAULT 0, created_at timestamptz NOT NULL DEFAULT now());
       INSERT INTO items (name, sku, payload, qty, price_cents) SELECT 'item-' || g, 'SKU-' || lpad(g::text, 8, '0'), md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text), g % 1000, (g * 37) % 100000 FROM generate_series(1, ${DB_ROWS}) g;
       CREATE INDEX items_name_idx ON items (name);
       CREATE UNIQUE INDEX items_sku_key ON items (sku);
       CREATE TABLE events (id bigserial PRIMARY KEY, item_id bigint REFERENCES items (id), kind text, data jsonb, at timestamptz NOT NULL DEFAULT now());
       INSERT INTO events (item_id, kind, data) SELECT (g % ${DB_ROWS}) + 1, 'k' || (g % 10), jsonb_build_object('n', g, 's', md5(g::text), 'tags', jsonb_build_array('a' || (g % 7), 'b' || (g % 11))) FROM generate_series(1, ${Math.floor(DB_ROWS / 3)}) g;
       ANALYZE;`,
    );
    const dbBytes = Number(await psql('SELECT pg_database_size(current_database())'));
    const dbMb = dbBytes / 1e6;
    console.log(`${BENCH_DB}: ${dbMb.toFixed(1)} MB on disk (filled in ${secs(performance.now() - fillStart)} s)`);

    // ------------------------------------------------------------------ deploy and rollback
    // A fresh connection per phase, as each CLI operation opens its own.
    await host.reconnect(ctx);
    const ledger = await openLedger(work);
    mkdirSync(path.join(work, 'migrations'));
    const stateTag = randomBytes(3).toString('hex');
    const config: GreenlightConfig = configSchema.parse({
      project: 'glbench',
      services: [{ name: 'web', port: PORT, env: { BIND: bed.prodIp }, health: { path: '/health', timeoutSeconds: 30, intervalMs: 50 } }],
      database: { kind: 'postgres', name: BENCH_DB, migrations: 'migrations' },
      environments: {
        bench: {
          ssh: { host: bed.sshHost, port: bed.sshPort, user: bed.sshUser, identityFile: bed.sshKeyFile, hostKey: bed.hostKey },
          docker: { socket: bed.prodDockerSock },
          database: { host: '127.0.0.1', port: 5432, name: BENCH_DB, user: 'app', passwordEnv: 'GL_BENCH_DB_PASSWORD' },
          backups: { dir: `${testbedBackups()}/bench-${stateTag}`, keep: 10 },
          stateDir: `.greenlight/bench-${stateTag}`,
          keepVersions: 3,
        },
      },
    });
    const environment = resolveEnvironment(config, work, 'bench', new Secret(DB_PASSWORD));
    for (const c of await host.docker.listContainers({ [LABEL.project]: 'glbench' })) await host.docker.removeContainer(c.id);
    const versions = Array.from({ length: ROUNDS + 1 }, (_, i) => `b${i + 1}`);
    for (const v of versions) await local.tagImage(info.id, 'glbench-web', v);
    // A remote command whose channel closed without an exit status ("exit undefined") happens now
    // and then on this loaded, shared machine before anything changed (preflight); such a run
    // is repeated once and counted in the report, never dropped silently.
    let transportRetries = 0;
    const retryTransport = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
      try {
        return await fn();
      } catch (e) {
        if (!/\(exit undefined\)/.test(String(e))) throw e;
        transportRetries++;
        console.log(`    ${what}: ${(e as Error).message}; reconnecting and repeating the run once`);
        await host.reconnect(ctx);
        return await fn();
      }
    };
    const deployOne = (v: string): Promise<Awaited<ReturnType<typeof deploy>>> => retryTransport(`deploy ${v}`, () => deployOnce(v));
    const deployOnce = async (v: string): Promise<Awaited<ReturnType<typeof deploy>>> => {
      const r = await deploy(logContext(`deploy ${v} `), local, host, {
        config,
        environment,
        image: `glbench-web:${v}`,
        ledger,
        // The bench deploys the built image without running its test suite; the override is the honest way to say so.
        untestedOverride: 'benchmark run (scripts/bench/deploy.ts)',
        secrets: { dbPassword: new Secret(DB_PASSWORD), env: {} },
        who: 'bench',
      });
      if (r.outcome !== 'succeeded') throw new Error(`deploy ${v}: ${r.outcome}: ${r.message}`);
      return r;
    };
    await deployOne(versions[0]!);
    const switches: number[] = [];
    const deploys: number[] = [];
    const rollbacks: number[] = [];
    const rollbackWall: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const r = await deployOne(versions[i + 1]!);
      switches.push(r.switchMs!);
      deploys.push(r.durationMs);
      const t = performance.now();
      const rb = await retryTransport('rollback', () => rollback(logContext('rollback '), host, { config, environment, who: 'bench' }));
      rollbackWall.push(performance.now() - t);
      if (rb.outcome !== 'succeeded') throw new Error(`rollback: ${rb.message}`);
      rollbacks.push(rb.rollbackMs);
    }
    for (const c of await host.docker.listContainers({ [LABEL.project]: 'glbench' })) await host.docker.removeContainer(c.id);
    await host.exec(['rm', '-rf', '--', config.environments.bench!.stateDir]);
    for (const v of versions) await local.removeImage(`glbench-web:${v}`).catch(() => undefined);
    console.log(`switch ${all(switches, (x) => String(x))} ms; rollback ${all(rollbacks, (x) => String(x))} ms`);

    // -------------------------------------------------------------------------- backups
    await host.reconnect(ctx);
    const backupTarget = environment.backup!;
    const oursBackup: number[] = [];
    const rawHost: number[] = [];
    const rawLocal: number[] = [];
    let dumpBytes = 0;
    const hostDump = `${backupTarget.dir}/raw.dump`;
    for (let i = 0; i < ROUNDS; i++) {
      const order = i % 2 === 0 ? ['ours', 'raw-host', 'raw-local'] : ['raw-local', 'raw-host', 'ours'];
      for (const which of order) {
        const t = performance.now();
        if (which === 'ours') {
          const m = await retryTransport('backup', () => createBackup(ctx, host, backupTarget, { reason: 'manual' }));
          oursBackup.push(performance.now() - t);
          dumpBytes = m.sizeBytes;
        } else if (which === 'raw-host') {
          sh('ssh -F "$1" prod pg_dump -Fc -d "$2" -f "$3"', sshConfig, BENCH_DB, hostDump);
          rawHost.push(performance.now() - t);
        } else {
          const f = path.join(work, 'raw.dump');
          sh('ssh -F "$1" prod pg_dump -Fc -d "$2" > "$3"', sshConfig, BENCH_DB, f);
          rawLocal.push(performance.now() - t);
          rmSync(f, { force: true });
        }
      }
    }
    await host.exec(['rm', '-rf', '--', backupTarget.dir]);
    await psql(`DROP DATABASE IF EXISTS ${BENCH_DB} WITH (FORCE)`, 'appdb');
    const mbps = (ms: number): string => (dbMb / (ms / 1000)).toFixed(0);
    const backupRatio = median(rawHost) / median(oursBackup);

    // --------------------------------------------------------------------------- report
    const dockerVersion = execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8' }).trim();
    const prodDocker = (await host.docker.version()).version;
    const pgVersion = (await host.run(['pg_dump', '--version'])).trim();
    const env = `${cpus().length} CPU (${cpus()[0]?.model ?? '?'}), Docker ${dockerVersion} here and ${prodDocker} on the production host (a network namespace reached over a veth pair and OpenSSH), ${pgVersion}, Node ${process.version}, ${ROUNDS} rounds, medians`;
    const body = [
      '## Deploy: ship, switch, rollback, backup',
      '',
      'Command: `npm run bench -- deploy` (scripts/bench/deploy.ts; needs `bash test/testbed/up.sh`; `BENCH_ROUNDS=n`, `BENCH_DB_ROWS=n`)',
      '',
      `Image: the demo web service (${image.tag}, ${mb.toFixed(1)} MB: node + libs + app, FROM scratch). Target: the test bed's production host. The image is removed from the host before every ship run, and the two pipelines alternate.`,
      '',
      '| measure | median | all runs |',
      '|---|---:|---|',
      `| ship, Greenlight stream (connect, \`docker save\` by ID → ssh2 → remote load, sha256 on the fly, ID verified, tagged) | ${secs(median(ours))} s, ${(sentBytes / 1e6).toFixed(1)} MB sent | ${all(ours)} |`,
      `| ship, seed pipeline (\`docker save \\| gzip > f\`, \`sha256sum\`, \`scp\`, \`sha256sum -c\` and \`gunzip -c f \\| docker load\` via ssh) | ${secs(median(seed))} s, ${(gzBytes / 1e6).toFixed(1)} MB copied | ${all(seed)} |`,
      `| deploy switch (old container stopped → new one healthy on the service port) | ${median(switches)} ms | ${all(switches, (x) => String(x))} |`,
      `| whole deploy, image already on the host, no migrations pending so no backup (lock, preflight, start beside, health, swap, post-deploy checks, audit) | ${secs(median(deploys))} s | ${all(deploys)} |`,
      `| manual rollback to the previous retained version, healthy (lock, audit, stop, rename, start, health) | ${median(rollbacks)} ms | ${all(rollbacks, (x) => String(x))} |`,
      `| backup, Greenlight (pg_dump -Fc on the host → archive read back in full, sha256, 0600, metadata) | ${secs(median(oursBackup))} s = ${mbps(median(oursBackup))} MB/s of database, ${(dumpBytes / 1e6).toFixed(1)} MB archive | ${all(oursBackup)} |`,
      `| backup, raw \`ssh prod pg_dump -Fc -f file\` (on the host, no verification) | ${secs(median(rawHost))} s = ${mbps(median(rawHost))} MB/s | ${all(rawHost)} |`,
      `| backup, raw \`ssh prod pg_dump -Fc > file\` (streamed here, no verification) | ${secs(median(rawLocal))} s = ${mbps(median(rawLocal))} MB/s | ${all(rawLocal)} |`,
      '',
      `**Ship time ratio (seed pipeline / Greenlight stream): ${shipRatio.toFixed(2)}** (${shipRatio >= 1 ? 'Greenlight faster' : 'Greenlight slower'}). The stream sends the uncompressed archive once and the remote engine loads it while it arrives (its layer digests and the image ID are the check); the seed pipeline compresses, writes a file, copies it, reads it twice on the host (sha256, gunzip) and only then loads.`,
      '',
      `**Backup throughput ratio (Greenlight / raw pg_dump on the host): ${backupRatio.toFixed(2)}** on a ${dbMb.toFixed(0)} MB database (${DB_ROWS} items with two indexes, ${Math.floor(DB_ROWS / 3)} jsonb events). The difference is the verification: Greenlight reads the whole archive back (pg_restore --list and a full read to /dev/null) and hashes it, so a backup that cannot be restored is never called verified.`,
      '',
      'The switch time includes the new container\'s start (node, then a database round trip for /health) and the first passing probe (probes start at 50 ms and double). The rollback time is measured by the engine from its start, including the deploy lock and the audit record.',
      '',
      `Environment: ${env}. The machine is shared, so figures vary from run to run.${transportRetries ? ` ${transportRetries} run(s) were repeated after a remote command ended without an exit status (a transport hiccup before anything changed); the repeated run is the one measured.` : ''}`,
    ].join('\n');
    console.log(`\n${body}`);
    if (!process.argv.includes('--no-write')) {
      const docPath = path.join(root, 'docs', 'benchmarks.md');
      const doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n';
      writeFileSync(docPath, replaceSection(doc, 'deploy', body));
      console.log('\nwrote docs/benchmarks.md (section deploy)');
    }
  } finally {
    host.close();
    local.close();
    rmSync(work, { recursive: true, force: true });
  }
  process.exit(0);

  function testbedBackups(): string {
    const m = /^export PROD_BACKUPS_DIR=(.*)$/m.exec(readFileSync(path.join(bed.root, 'env'), 'utf8'));
    return m?.[1]?.trim() || '/var/backups/greenlight';
  }
})().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
