// Deploying real applications, timed as a user runs them: the Express + pg and Django + gunicorn
// apps of the acceptance suite (frameworks installed from npm and Debian at run time), each taken
// through the real CLI on the test bed's production host:
//   first deploy onto an empty database (ships the whole image, migrates, seeds),
//   a redeploy of a second version (a changed file and a new migration; only the layers the host
//   lacks are shipped), and the switch time and rollback of that redeploy.
// Wall-clock times of the whole `greenlight` process; the deploy's own figures (switch, bytes
// shipped) come from its --json result. Rewrites the "apps" section of docs/benchmarks.md.
// Run: npm run bench -- deploy   (--no-write leaves the doc alone)
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { get, makeProject, npmInstall, prodDocker, removeProdContainers, resetProdDatabase, type Project } from '../../test/acceptance/harness';
import { replaceSection } from './_report';

const root = path.resolve(__dirname, '../..');

interface AppCase {
  readonly template: 'express' | 'django';
  readonly label: string;
  readonly service: string;
  readonly port: number;
  readonly database: string;
  /** The Host header the app accepts (Django's ALLOWED_HOSTS). */
  readonly hostHeader?: string;
  readonly install?: (dir: string) => void;
  /** The second version's change: a file and a migration. */
  readonly change: (p: Project) => void;
}

const CASES: readonly AppCase[] = [
  {
    template: 'express',
    label: 'Express + pg (Node, npm)',
    service: 'api',
    port: 18601,
    database: 'bench_express',
    install: (dir) => npmInstall(path.join(dir, 'api')),
    change: (p) => {
      p.write('api/release.txt', 'two\n');
      p.write('migrations/002_add_lang.sql', "ALTER TABLE greetings ADD COLUMN IF NOT EXISTS lang text NOT NULL DEFAULT 'en';\n");
    },
  },
  {
    template: 'django',
    label: 'Django + gunicorn (Debian)',
    service: 'web',
    port: 18602,
    database: 'bench_django',
    hostHeader: 'app.example.test',
    change: (p) => {
      p.write('web/app/release.txt', 'two\n');
    },
  },
];

interface Figures {
  readonly label: string;
  readonly firstDeployS: number;
  readonly firstShipBytes: number;
  readonly redeployS: number;
  readonly redeployShipBytes: number;
  readonly layers: string;
  readonly switchMs: number;
  readonly rollbackS: number;
}

interface DeployJson {
  readonly outcome: string;
  readonly switchMs?: number;
  readonly ship?: { readonly bytes: number; readonly layers?: { readonly sent: number; readonly total: number } };
}

/** Removes the host's images of this app's service name that no container uses (in-use ones stay). */
function forgetImages(p: Project, service: string): void {
  const tags = prodDocker(p.bed, ['images', '--format', '{{.Repository}}:{{.Tag}}', service]).split('\n').filter(Boolean);
  for (const t of tags) {
    try {
      prodDocker(p.bed, ['rmi', t]);
    } catch {
      // Still used by a container (another project's): its layers stay, and the figures say so.
    }
  }
}

/** Bytes as a reader wants them: MB for images, KB for a layer or two. */
const size = (b: number): string => (b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : `${(b / 1e3).toFixed(1)} KB`);

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await f();
  return [v, (performance.now() - t0) / 1000];
}

async function run(c: AppCase): Promise<Figures> {
  const project = `bench-${c.template}`;
  const p = makeProject(c.template, { install: c.install });
  try {
    // The acceptance suite's project, under its own name, port and database, so both can run.
    const acc = `acc-${c.template}`;
    const yaml = p
      .read('greenlight.yaml')
      .replaceAll(`project: ${acc}`, `project: ${project}`)
      .replaceAll(`${acc}-net`, `${project}-net`)
      .replace(/publish: \["\d+:/, `publish: ["${c.port}:`)
      .replace(new RegExp(`name: acc_${c.template}(?=[ ,}])`, 'g'), `name: ${c.database}`)
      .replaceAll(`.greenlight/${acc}`, `.greenlight/${project}`)
      .replaceAll(`/${acc}"`, `/${project}"`);
    p.write('greenlight.yaml', yaml);
    p.commit('bench: own names');
    removeProdContainers(p.bed, project);
    resetProdDatabase(p.bed, c.database);
    // A first deploy ships the whole image only if the host has none of its layers: earlier builds
    // of the same app (the acceptance suite's, an earlier run's) are removed from the host first.
    forgetImages(p, c.service);

    const v1 = await p.buildAndTest();
    const deploy = async (v: string, extra: string[] = []): Promise<DeployJson> => {
      const r = await p.ok(['deploy', `${c.service}:${v}`, '--env', 'production', '--json', ...extra], 600_000);
      const json = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as DeployJson;
      if (json.outcome !== 'succeeded') throw new Error(`${project} deploy ${v}: ${json.outcome}`);
      return json;
    };
    const [first, firstS] = await timed(() => deploy(v1, ['--break-lock']));
    c.change(p);
    p.commit('release two');
    const v2 = await p.buildAndTest();
    const [second, redeployS] = await timed(() => deploy(v2));
    const answer = await get(p.bed.prodIp, c.port, '/', c.hostHeader);
    if (!answer.body.includes(v2)) throw new Error(`${project}: ${v2} does not answer on ${c.port}: ${answer.status} ${answer.body}`);
    const [, rollbackS] = await timed(() => p.ok(['rollback', '--env', 'production'], 300_000));
    return {
      label: c.label,
      firstDeployS: firstS,
      firstShipBytes: first.ship?.bytes ?? 0,
      redeployS,
      redeployShipBytes: second.ship?.bytes ?? 0,
      layers: second.ship?.layers ? `${second.ship.layers.sent} of ${second.ship.layers.total}` : '-',
      switchMs: second.switchMs ?? 0,
      rollbackS,
    };
  } finally {
    removeProdContainers(p.bed, project);
    p.remove();
  }
}

void (async () => {
  const rows: Figures[] = [];
  for (const c of CASES) {
    console.log(`bench apps: ${c.label}`);
    const f = await run(c);
    console.log(`  first deploy ${f.firstDeployS.toFixed(1)} s (${size(f.firstShipBytes)} shipped), redeploy ${f.redeployS.toFixed(1)} s (${size(f.redeployShipBytes)}, ${f.layers} layers), switch ${f.switchMs} ms, rollback ${f.rollbackS.toFixed(1)} s`);
    rows.push(f);
  }
  if (process.argv.includes('--no-write')) return;
  const doc = path.join(root, 'docs/benchmarks.md');
  const body = [
    '## Deploy: real applications (Express, Django)',
    '',
    'Command: `npm run bench -- deploy` (scripts/bench/deployApps.ts). The acceptance suite\'s Express + pg and Django + gunicorn apps,',
    'frameworks installed from npm and Debian at run time, taken through the real CLI to the test bed\'s production host',
    '(bridge networking, published port, database on the host). Wall-clock time of the whole `greenlight` process, one run',
    'each; the first deploy goes onto an empty database and ships the whole image; the redeploy is a second version',
    '(a changed file; Express also a new migration), which ships only the layers the host lacks. Switch: old container',
    'stopped → new one answering through the published port.',
    '',
    '| app | first deploy | shipped | redeploy | shipped (layers) | switch | rollback |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.label} | ${r.firstDeployS.toFixed(1)} s | ${size(r.firstShipBytes)} | ${r.redeployS.toFixed(1)} s | ${size(r.redeployShipBytes)} (${r.layers} layers) | ${r.switchMs} ms | ${r.rollbackS.toFixed(1)} s |`),
    '',
    `Environment: 2 CPU, Node ${process.version}, Docker 20.10 (Debian) here and on the production host; ${new Date().toISOString().slice(0, 10)}. The machine is shared, so figures vary from run to run.`,
  ].join('\n');
  writeFileSync(doc, replaceSection(readFileSync(doc, 'utf8'), 'apps', body));
  console.log('docs/benchmarks.md: section "apps" rewritten');
})().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
