// A swarm environment in the Environments view, in the real VS Code against the three-node swarm
// test bed (test/testbed/swarm-up.sh): the workspace's greenlight.yaml names the swarm's manager,
// the CLI deploys a web service of 3 replicas there, and the view shows the three nodes (ready,
// active, one manager) and the service's 3/3 replicas on the deployed version, and the release.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Services } from '../../../src/extension/services';
import type { EnvironmentsNode } from '../../../src/extension/views/environmentsView';
import type { SwarmRow } from '../../../src/extension/views/swarmRows';
import { buildAppImage } from '../../integration/deploy/appImages';
import { activeApi, waitFor, workspaceRoot } from './helpers';

const ENV_FILE = '/tmp/greenlight-testbed/swarm.env';

function swarmbed(): Record<string, string> {
  if (!existsSync(ENV_FILE)) throw new Error(`the swarm test bed is not up: ${ENV_FILE} is missing (run: bash test/testbed/swarm-up.sh)`);
  const out: Record<string, string> = {};
  for (const m of readFileSync(ENV_FILE, 'utf8').matchAll(/^export ([A-Z_][A-Z0-9_]*)=(?:'([^']*)'|"([^"]*)"|(\S*))$/gm)) out[m[1]!] = m[2] ?? m[3] ?? m[4] ?? '';
  return out;
}

suite('(host) swarm views: a swarm environment\'s nodes and a deployed service\'s replicas in the Environments view', function () {
  this.timeout(240_000);
  let s: Services;
  let root: string;
  let original: string;
  let sb: Record<string, string>;
  const id = randomBytes(3).toString('hex');
  const project = `swvhost${id}`;
  const tag = `swv-host:${id}v1`;
  const repo = process.env.GREENLIGHT_HOST_REPO ?? path.resolve(__dirname, '../../../..');
  const mgr = (...args: string[]): string => execFileSync('docker', ['-H', `unix://${sb.SWARM_MANAGER_SOCK}`, ...args], { encoding: 'utf8' }).trim();

  const swarmRows = async (): Promise<SwarmRow[]> => {
    const top = await s.environments.getChildren();
    const env = top.find((x) => x.kind === 'environment' && x.env.name === 'cluster');
    assert.ok(env, 'the Environments view has no cluster row');
    const rows = await s.environments.getChildren(env);
    return rows.filter((r): r is Extract<EnvironmentsNode, { kind: 'swarm' }> => r.kind === 'swarm').map((r) => r.row);
  };

  suiteSetup(async function () {
    this.timeout(200_000);
    sb = swarmbed();
    s = (await activeApi()).services;
    root = workspaceRoot().fsPath;
    const file = path.join(root, 'greenlight.yaml');
    original = readFileSync(file, 'utf8');
    const config = {
      project,
      services: [{ name: 'web', port: 8080, env: { BIND: '0.0.0.0' }, health: { path: '/cgi-bin/health', timeoutSeconds: 8, intervalMs: 500 } }],
      environments: {
        cluster: {
          ssh: { host: sb.SWARM_SSH_HOST, port: Number(sb.SWARM_SSH_PORT), user: sb.SWARM_SSH_USER, identityFile: sb.SWARM_SSH_KEY, hostKey: sb.SWARM_SSH_HOST_KEY },
          docker: { socket: sb.SWARM_MANAGER_SOCK },
          stateDir: `.greenlight/${project}`,
          swarm: { registry: sb.SWARM_REGISTRY, update: { parallelism: 1, monitorSeconds: 1 }, services: { web: { replicas: 3, healthCommand: ['/bin/busybox', 'wget', '-q', '-O', '/dev/null', '{url}'] } } },
        },
      },
    };
    writeFileSync(file, JSON.stringify(config, null, 2));
    buildAppImage(tag, 'v1');
    // The deploy a person runs from a terminal: the CLI of this checkout.
    execFileSync(process.execPath, [path.join(repo, 'dist/cli.js'), 'deploy', '--env', 'cluster', '--override-untested', 'host test of the swarm view', tag], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
    s.environments.status.refresh();
  });

  suiteTeardown(async function () {
    if (sb) {
      try {
        mgr('service', 'rm', `${project}-web`);
      } catch {
        // already gone
      }
    }
    try {
      // The release history and audit log the deploy wrote on the manager.
      if (sb) execFileSync('ssh', ['-F', sb.SWARM_SSH_CONFIG!, 'swarm-manager', 'rm', '-rf', '--', `.greenlight/${project}`], { stdio: 'ignore' });
    } catch {
      // left for the test bed's next reset
    }
    try {
      execFileSync('docker', ['rmi', tag], { stdio: 'ignore' });
    } catch {
      // not built
    }
    if (root && original !== undefined) writeFileSync(path.join(root, 'greenlight.yaml'), original);
  });

  test('the Nodes row lists the three nodes, ready and active, one manager', async function () {
    const rows = await waitFor('the swarm rows of cluster', async () => {
      const r = await swarmRows();
      return r.length > 0 ? r : undefined;
    }, 60_000);
    const nodes = rows.find((r) => r.label === 'Nodes');
    assert.ok(nodes, `no Nodes row: ${rows.map((r) => r.label).join(', ')}`);
    assert.equal(nodes.description, '3 of 3 ready and active');
    assert.equal(nodes.children?.length, 3);
    assert.deepEqual(nodes.children!.map((n) => /manager/.test(n.description ?? '')), [true, false, false]);
    for (const n of nodes.children!) assert.match(n.description ?? '', /^ready · active · /);
    assert.deepEqual(nodes.children!.map((n) => n.description!.split(' · ').at(-1)).sort(), [sb.SWARM_MANAGER_IP, ...sb.SWARM_WORKER_IPS!.split(/\s+/)].sort());
  });

  test('the service row shows 3/3 replicas on the deployed version, and the release is recorded', async function () {
    const rows = await swarmRows();
    const web = rows.find((r) => r.label === 'web');
    assert.ok(web, `no web row: ${rows.map((r) => r.label).join(', ')}`);
    assert.equal(web.description, `3/3 on ${id}v1`);
    assert.equal(web.color, 'passed');
    assert.deepEqual(web.children?.map((c) => [c.label, c.description]), [[`${id}v1`, '3 running / 3 desired · current spec']]);
    const releases = rows.find((r) => r.label === 'Releases');
    assert.equal(releases?.children?.length, 1);
    assert.equal(releases?.children?.[0]?.label, `web ${id}v1`);
    // And the tree item VS Code renders for it.
    const item = s.environments.getTreeItem({ kind: 'swarm', row: web });
    assert.equal(item.description, `3/3 on ${id}v1`);
  });
});
