// A recording fake of a production host for the deploy's step tests: a Docker engine kept in
// memory that records every call, containers whose HTTP health answers come from the test's
// policy (each running container gets a real loopback HTTP server, reached through the same
// forwardTcp door the deploy's probes use), and host commands (lock, audit, df) run for real in
// a temporary directory that stands for the deploy user's home.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Duplex, Readable } from 'node:stream';
import type { RemoteHost, RunOptions } from '../../../src/core/ship/remoteHost';
import type { ContainerSpec, ContainerState, ContainerSummary, DockerEngine, ImageInfo, LogLine } from '../../../src/core/images/docker';

export interface Policy {
  /** The HTTP status a container answers health probes with, by its version label and name. */
  health(version: string, name: string): number;
  /** The exit code of a one-off task container, by task name. */
  taskExit(task: string): number;
}

interface FakeContainer {
  id: string;
  name: string;
  spec: ContainerSpec;
  running: boolean;
  exitCode: number;
  address?: string;
  server?: http.Server;
  serverPort?: number;
  createdAt: number;
}

let seq = 0;

export class FakeHost {
  readonly calls: string[] = [];
  readonly home = mkdtempSync(path.join(os.tmpdir(), 'gl-fakehost-'));
  readonly containers = new Map<string, FakeContainer>();
  readonly networks = new Set<string>();
  readonly images = new Map<string, ImageInfo>();
  /** Files written into containers (putFiles), by "<container>:<path>". */
  readonly files = new Map<string, { content: Buffer; mode: number }>();
  /** Caddy's config as the proxy container's admin API holds it (POST /load replaces it). */
  proxyConfig: unknown = null;
  /** What Caddy's GET /reverse_proxy/upstreams answers: requests in flight and fails per upstream address. */
  proxyUpstreams: { address: string; num_requests: number; fails: number }[] = [];

  constructor(
    readonly policy: Policy,
    readonly serviceAddress = '198.18.77.2',
  ) {}

  byName(name: string): FakeContainer | undefined {
    return [...this.containers.values()].find((c) => c.name === name);
  }

  /** The version the serving container (by name) runs, if it runs. */
  serving(name: string): string | undefined {
    const c = this.byName(name);
    return c?.running ? c.spec.labels['greenlight.version'] : undefined;
  }

  close(): void {
    for (const c of this.containers.values()) c.server?.close();
    rmSync(this.home, { recursive: true, force: true });
  }

  #find(idOrName: string): FakeContainer | undefined {
    return this.containers.get(idOrName) ?? this.byName(idOrName);
  }

  async #listen(c: FakeContainer): Promise<void> {
    const version = c.spec.labels['greenlight.version'] ?? '?';
    c.server = http.createServer((_req, res) => {
      res.statusCode = this.policy.health(version, c.name);
      res.end(`{"version":"${version}"}`);
    });
    await new Promise<void>((r) => c.server!.listen(0, '127.0.0.1', r));
    c.serverPort = (c.server.address() as net.AddressInfo).port;
  }

  /** Which running container answers at address:port as the host sees it. */
  #answering(address: string, port: number): FakeContainer | undefined {
    const c = [...this.containers.values()].find((x) => {
      if (!x.running) return false;
      const s = x.spec;
      if (s.networkMode === 'host') return address === this.serviceAddress && Number(s.env.PORT) === port;
      if ((address === '127.0.0.1' || address === '0.0.0.0') && s.publish?.some((p) => p.host === port)) return true;
      return x.address === address && Number(s.env.PORT) === port;
    });
    if (c?.spec.labels['greenlight.role'] !== 'proxy') return c;
    // The proxy sends the request to the container its route's name resolves to, as Docker's DNS
    // does on the proxy network: the container of that name, or (a route an older Greenlight wrote) of that alias.
    const routes = ((this.proxyConfig as any)?.apps?.http?.servers?.[`greenlight-${port}`]?.routes ?? []) as any[];
    const h = routes.find((r) => !/-(drain|maintenance)$/.test(String(r['@id'])))?.handle?.[0];
    const dial = h?.dynamic_upstreams ? `${String(h.dynamic_upstreams.name)}:${String(h.dynamic_upstreams.port)}` : String(h?.upstreams?.[0]?.dial ?? '');
    const name = dial.slice(0, dial.lastIndexOf(':'));
    const onProxyNetwork = (x: FakeContainer): boolean => !!x.spec.networks?.some((n) => n.name === c.spec.networks?.[0]?.name);
    return [...this.containers.values()].find((x) => x.running && onProxyNetwork(x) && (x.name === name || x.spec.networks!.some((n) => n.aliases.includes(name))));
  }

  readonly docker: DockerEngine = {
    where: 'fake host',
    endpoint: 'fake://host',
    ping: async () => undefined,
    version: async () => ({ version: '20.10.24', apiVersion: '1.41' }),
    build: async () => {
      throw new Error('not used: deploys never build on the host');
    },
    watchImageEvents: async () => undefined,
    inspectImage: async (ref) => this.images.get(ref) ?? [...this.images.values()].find((i) => i.repoTags.includes(ref)),
    listImages: async () => [...this.images.values()],
    saveImage: async () => {
      throw new Error('not used: the fake host already has the image');
    },
    loadImage: async () => [],
    tagImage: async () => undefined,
    pushImage: async () => undefined,
    pullImage: async () => undefined,
    removeImage: async () => undefined,
    listContainers: async (labels) =>
      [...this.containers.values()]
        .filter((c) => Object.entries(labels).every(([k, v]) => c.spec.labels[k] === v))
        .map((c) => this.#summary(c)),
    createContainer: async (spec) => {
      if (this.byName(spec.name)) throw new Error(`docker: container name ${spec.name} is already in use`);
      const id = `c${++seq}`.padEnd(12, '0');
      this.containers.set(id, { id, name: spec.name, spec, running: false, exitCode: 0, createdAt: Date.now() + seq, address: spec.networkMode === 'bridge' ? `198.18.80.${10 + seq}` : undefined });
      this.calls.push(`create ${spec.name}`);
      return id;
    },
    startContainer: async (id) => {
      const c = this.#find(id)!;
      this.calls.push(`start ${c.name}`);
      const task = c.spec.labels['greenlight.task'];
      if (task) {
        c.exitCode = this.policy.taskExit(task);
        return;
      }
      c.running = true;
      await this.#listen(c);
    },
    stopContainer: async (id) => {
      const c = this.#find(id);
      if (!c) return;
      this.calls.push(`stop ${c.name}`);
      c.running = false;
      c.server?.close();
    },
    removeContainer: async (id) => {
      const c = this.#find(id);
      if (!c) return;
      this.calls.push(`remove ${c.name}`);
      c.server?.close();
      this.containers.delete(c.id);
    },
    renameContainer: async (id, name) => {
      const c = this.#find(id)!;
      this.calls.push(`rename ${c.name} -> ${name}`);
      c.name = name;
    },
    ensureNetwork: async (name) => {
      const created = !this.networks.has(name);
      this.networks.add(name);
      if (created) this.calls.push(`network ${name}`);
      return created;
    },
    inspectContainer: async (id) => {
      const c = this.#find(id);
      return c ? { ...this.#summary(c), stateDetail: this.#state(c) } : undefined;
    },
    logs: async () => '',
    logLines: async (): Promise<LogLine[]> => [],
    streamLogs: async () => undefined,
    // The proxy container's admin API through busybox wget, as src/core/deploy/proxy.ts drives it.
    putFiles: async (id, dir, files) => {
      for (const f of files) this.files.set(`${id}:${dir}/${f.name}`, { content: f.content, mode: f.mode });
    },
    exec: async (id, argv, out) => {
      if (argv[1] === 'mkdir' || argv[1] === 'rmdir') return 0;
      if (argv[1] !== 'wget') return 0;
      const url = argv[argv.length - 1]!;
      const post = argv.indexOf('--post-data');
      if (post >= 0) {
        this.proxyConfig = JSON.parse(argv[post + 1]!);
        const dials = Object.values((this.proxyConfig as any).apps.http.servers as Record<string, any>).flatMap((sv) => sv.routes.filter((r: any) => !String(r['@id']).endsWith('-drain')).map((r: any) => r.handle[0].upstreams?.[0]?.dial ?? r.handle[0].handler));
        this.calls.push(`proxy load ${dials.join(' ')}`);
      } else if (url.endsWith('/config/')) out.stdout.write(JSON.stringify(this.proxyConfig) + '\n');
      else if (url.endsWith('/reverse_proxy/upstreams')) out.stdout.write(JSON.stringify(this.proxyUpstreams) + '\n');
      void id;
      return 0;
    },
    runSettings: async () => undefined,
    wait: async (id) => this.#find(id)?.exitCode ?? 0,
    // The fake is a single host: the swarm target is tested on the three-node test bed (test/integration/swarm).
    swarm: {
      info: async () => ({ state: 'inactive', manager: false, nodeId: '' }),
      nodes: async () => { throw new Error('fake host: not a swarm manager'); },
      inspectService: async () => { throw new Error('fake host: not a swarm manager'); },
      createService: async () => { throw new Error('fake host: not a swarm manager'); },
      updateService: async () => { throw new Error('fake host: not a swarm manager'); },
      rollbackService: async () => { throw new Error('fake host: not a swarm manager'); },
      removeService: async () => { throw new Error('fake host: not a swarm manager'); },
      tasks: async () => { throw new Error('fake host: not a swarm manager'); },
    },
    close: () => undefined,
  };

  #summary(c: FakeContainer): ContainerSummary {
    return { id: c.id, name: c.name, image: c.spec.image, imageId: c.spec.labels['greenlight.image-id'] ?? '', labels: c.spec.labels, state: c.running ? 'running' : 'exited', status: c.running ? 'running' : 'exited', createdAt: c.createdAt };
  }

  #state(c: FakeContainer): ContainerState {
    return { running: c.running, status: c.running ? 'running' : 'exited', exitCode: c.exitCode, startedAt: new Date(c.createdAt).toISOString(), restartCount: 0, oomKilled: false, addresses: c.address ? { [c.spec.networks?.[0]?.name ?? 'bridge']: c.address } : {} };
  }

  /** Host commands run for real, in the fake home directory. */
  async exec(argv: readonly string[], opts: RunOptions = {}): Promise<{ code: number | null; signal?: string; stdout: Buffer; stderr: string }> {
    return await new Promise((resolve) => {
      const child = spawn(argv[0]!, argv.slice(1), { cwd: this.home, stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      let err = '';
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => (err += d));
      child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
      if (typeof opts.stdin === 'string' || Buffer.isBuffer(opts.stdin)) child.stdin.end(opts.stdin);
      else if (opts.stdin) (opts.stdin as Readable).pipe(child.stdin);
      else child.stdin.end();
    });
  }

  async run(argv: readonly string[], opts: RunOptions = {}): Promise<string> {
    const r = await this.exec(argv, opts);
    if (r.code !== 0) throw new Error(`${argv.join(' ')} failed (exit ${r.code}): ${r.stderr}`);
    return r.stdout.toString('utf8');
  }

  /** The RemoteHost the deploy engine sees. */
  asRemoteHost(): RemoteHost {
    const forwardTcp = async (address: string, port: number): Promise<Duplex> => {
      const c = this.#answering(address, port);
      if (!c?.serverPort) throw new Error(`ssh: cannot connect to ${address}:${port} from fake host: Connection refused`);
      return await new Promise((resolve, reject) => {
        const s = net.connect(c.serverPort!, '127.0.0.1');
        s.once('connect', () => resolve(s));
        s.once('error', reject);
      });
    };
    const fake = {
      docker: this.docker,
      connection: { forwardTcp },
      exec: (argv: readonly string[], opts?: RunOptions) => this.exec(argv, opts),
      run: (argv: readonly string[], opts?: RunOptions) => this.run(argv, opts),
      target: { host: 'fake-host', port: 22, user: 'deploy' },
      where: 'deploy@fake-host',
      close: () => undefined,
    };
    return fake as unknown as RemoteHost;
  }
}
