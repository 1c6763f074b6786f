// The shape of greenlight.yaml. The zod schema is the single source: the loader validates with
// it, the build writes the JSON Schema from it (schemas/greenlight.schema.json) for editors, and
// the TypeScript types below are inferred from it.
import { z } from 'zod';

// Values that reach a command on a host (an argv element, a path, a container or database name)
// are validated here for their kind, so that no value from greenlight.yaml can be read as an
// option ("-delete" given to find), climb out of its directory (".."), carry shell syntax or run
// to any length. The argv builders put them after `--` as well; this is the first of two fences.

/** Letters, digits and `._-@+` in each segment: no blanks, quotes, `$`, `;`, globs or control characters. */
const PATH_SEGMENTS = /^\/?[A-Za-z0-9._@+-]+(\/[A-Za-z0-9._@+-]+)*\/?$/;
const noDotDot = (p: string): boolean => !p.split('/').includes('..');

/** An absolute path on the host, such as a backup directory. */
const absoluteHostPath = (max = 1024) =>
  z
    .string()
    .max(max, `at most ${max} characters`)
    .regex(/^\//, 'an absolute path (starting with "/")')
    .regex(PATH_SEGMENTS, 'a plain path: letters, digits and "._-@+" between "/" (no blanks, quotes or shell characters)')
    .refine(noDotDot, 'a path without ".." segments');

/** A path on the host, absolute or relative to the SSH user's home; never one that starts like an option. */
const hostPath = z
  .string()
  .max(1024, 'at most 1024 characters')
  .regex(/^[^-]/, 'a path that does not start with "-" (it would be read as an option)')
  .regex(PATH_SEGMENTS, 'a plain path: letters, digits and "._-@+" between "/" (no blanks, quotes or shell characters)')
  .refine(noDotDot, 'a path without ".." segments');

/** A host name, IPv4 or IPv6 address. */
const hostName = z
  .string()
  .max(253, 'at most 253 characters')
  .regex(/^([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[?[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\]?)$/, 'a host name or IP address (letters, digits, "." and "-", not starting with "-")');

/** A PostgreSQL or ArangoDB database or user name, as given to the client tools ("app@server" as some hosted servers want it). */
const dbIdentifier = z
  .string()
  .max(63, 'at most 63 characters (the PostgreSQL limit)')
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.@$-]*$/, 'letters, digits, "_", ".", "@", "$" or "-", starting with a letter, digit or "_"');

/** A login name on the host. */
const userName = z
  .string()
  .max(32, 'at most 32 characters')
  .regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'a user name: letters, digits, "_", "." or "-", starting with a letter or "_"');

/** A Docker container name (Docker's own rule). */
const containerName = z
  .string()
  .max(128, 'at most 128 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a container name: letters, digits, "_", "." or "-", starting with a letter or digit');

/** A unix socket path: absolute, and short enough for sockaddr_un (108 bytes with the NUL). */
const socketPath = absoluteHostPath(107);

/** An environment variable name. */
const envVarName = z.string().max(128, 'at most 128 characters').regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a variable name: letters, digits and "_", not starting with a digit');

/** A registry address with an optional port and path, as in `registry.example.com:5000/team`. */
const registryRef = z
  .string()
  .max(255, 'at most 255 characters')
  .regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/, 'a registry address: host[:port][/path] (lower-case path)');

/** A URL without a password in it: passwords live in the variable named by passwordEnv. */
const urlWithoutPassword = z
  .string()
  .max(2048, 'at most 2048 characters')
  .refine((u) => {
    try {
      return new URL(u).password === '';
    } catch {
      return true;
    }
  }, 'must not contain a password: remove it from the URL and name the variable that holds it in database.local.passwordEnv');

const name = z
  .string()
  .max(63, 'at most 63 characters')
  .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'lower-case letters, digits, "-", "_" or "." (starting with a letter or digit)');

/** An argv array: commands are data, never a shell string built from input. */
const argv = z.array(z.string().min(1)).min(1);

const healthSchema = z
  .object({
    path: z.string().max(2048).regex(/^\/[\x21-\x7e]*$/, 'a path starting with "/", without blanks or control characters').default('/health').describe('HTTP path that answers 200 when the service is healthy.'),
    timeoutSeconds: z.number().int().positive().default(60).describe('How long to wait for the service to become healthy.'),
    intervalMs: z.number().int().positive().default(500).describe('First delay between health probes (doubles up to 5 s).'),
    host: z
      .string()
      .regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'a host name, optionally with :port')
      .optional()
      .describe("Host header of the health request (Django's ALLOWED_HOSTS and proxies check it); default: the address probed."),
    statuses: z
      .array(z.number().int().min(100).max(599))
      .min(1)
      .optional()
      .describe('HTTP statuses that count as healthy; default: any 2xx.'),
  })
  .strict();

/** A Docker network name as the engine accepts it. */
const networkName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'a Docker network name: letters, digits, "_", "." or "-"');

const networkSchema = z.union([
  networkName.transform((n) => ({ name: n, aliases: [] as string[] })),
  z
    .object({
      name: networkName,
      aliases: z
        .array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'a DNS name: letters, digits, "_", "." or "-"'))
        .default([])
        .describe('Extra names under which the serving version is reached on this network (the service name always is).'),
    })
    .strict(),
]);

/** "8080:3000", "127.0.0.1:8080:3000", optionally "/udp": a published port as `docker run -p` writes it. */
const PUBLISH = /^(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(\d{1,5}):(\d{1,5})(?:\/(tcp|udp))?$/;

const publishSchema = z
  .union([
    z.string().regex(PUBLISH, 'a published port: "HOST:CONTAINER" or "ADDRESS:HOST:CONTAINER" (e.g. "8080:3000", "127.0.0.1:8080:3000")'),
    z
      .object({
        hostIp: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/).optional(),
        host: z.number().int().min(1).max(65535),
        container: z.number().int().min(1).max(65535),
        protocol: z.enum(['tcp', 'udp']).default('tcp'),
      })
      .strict(),
  ])
  .transform((p) => {
    if (typeof p !== 'string') return p;
    const m = PUBLISH.exec(p)!;
    return { hostIp: m[1], host: Number(m[2]), container: Number(m[3]), protocol: (m[4] ?? 'tcp') as 'tcp' | 'udp' };
  })
  .refine((p) => p.host <= 65535 && p.container <= 65535, 'ports are 1-65535');

/** A host name a proxy route answers to: "example.com", "*.example.com". */
const routeHost = z
  .string()
  .max(253, 'at most 253 characters')
  .regex(/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/, 'a host name such as "app.example.com" or "*.example.com"');

/** A path prefix a proxy route answers to: "/api" (and everything under it). */
const routePath = z
  .string()
  .max(1024, 'at most 1024 characters')
  .regex(/^\/[A-Za-z0-9._~!$&'()+,;=:@%/-]*$/, 'a path starting with "/" (letters, digits and URL path characters; no "*", blanks or "?")');

/** How a service with published ports is reached: through the host's proxy (the default), or not. */
const serviceProxySchema = z.union([
  z.literal(false),
  z.literal(true).transform(() => ({ hosts: [] as string[], paths: [] as string[] })),
  z
    .object({
      hosts: z.array(routeHost).default([]).describe('Host names this service answers to on its published ports (default: any).'),
      paths: z.array(routePath).default([]).describe('Path prefixes this service answers to (default: all paths); several services may share a port by host or path.'),
    })
    .strict(),
]);

/** When a release task runs: before the new version starts (default), or after it answered healthy beside the old one. */
const taskPhase = z.enum(['before-start', 'after-health']);

export const serviceSchema = z
  .object({
    name: name.describe('Service name; names its images and containers.'),
    context: z.string().default('.').describe('Build context directory, relative to greenlight.yaml.'),
    dockerfile: z.string().default('Dockerfile').describe('Dockerfile path, relative to the context.'),
    target: z
      .string()
      .max(128)
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a build stage name as the Dockerfile writes it after AS: letters, digits, "_", "." and "-"')
      .optional()
      .describe('Build stage of a multi-stage Dockerfile to build, as `docker build --target` (compose: build.target); default: the last stage.'),
    port: z.number().int().min(1).max(65535).describe('Port the service listens on inside its container (PORT is set to it).'),
    networkMode: z
      .enum(['bridge', 'host'])
      .optional()
      .describe('Docker networking: "bridge" (user networks, published ports) or "host"; default: bridge when networks or publish are set, host otherwise.'),
    networks: z
      .array(networkSchema)
      .default([])
      .describe('User-defined networks to join on the host (existing ones, compose-created ones included; created when missing).'),
    publish: z.array(publishSchema).default([]).describe('Published ports, as `docker run -p` writes them: "8080:3000" or "127.0.0.1:8080:3000".'),
    testPort: z.number().int().min(1).max(65535).optional().describe('Alternate port for local image tests (default port + 10000).'),
    health: healthSchema.default({ path: '/health', timeoutSeconds: 60, intervalMs: 500 }).describe('HTTP health check a new version must pass before it serves.'),
    env: z.record(z.string(), z.string()).default({}).describe('Plain environment variables. Secrets go in secretEnv.'),
    secretEnv: z
      .array(z.string().max(128).regex(/^[A-Z_][A-Z0-9_]*$/, 'an upper-case variable name: A-Z, 0-9 and "_"'))
      .default([])
      .describe('Names of environment variables whose values come from SecretStorage (editor) or the environment (CLI).'),
    volumes: z.array(z.string()).default([]).describe('Docker volume mounts, "name:/path" or "/host:/path".'),
    databaseUrlEnv: envVarName.default('DATABASE_URL').describe('Variable through which the service receives its database URL.'),
    prepare: argv
      .optional()
      .describe('Command run on the build machine in the context directory before each build (argv), e.g. to stage files the Dockerfile copies.'),
    proxy: serviceProxySchema
      .optional()
      .describe("Zero-downtime deploys through the host's reverse proxy (the default for a service with published ports): true, false (the old stop-and-swap on the published port) or the host names and path prefixes it answers to."),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.proxy && (s.proxy.hosts.length || s.proxy.paths.length) && s.publish.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['proxy'], message: 'proxy routes (hosts/paths) need a published port: add publish (e.g. "80:3000"), the port the proxy listens on' });
    }
    if (s.proxy !== false && s.publish.some((p) => p.protocol === 'udp')) {
      ctx.addIssue({ code: 'custom', path: ['proxy'], message: 'the proxy carries HTTP over TCP only: a service publishing a udp port needs proxy: false' });
    }
    if (s.networkMode === 'host' && (s.networks.length || s.publish.length)) {
      ctx.addIssue({ code: 'custom', path: ['networkMode'], message: 'networkMode "host" cannot join networks or publish ports: remove networks/publish or use "bridge"' });
    }
    const seen = new Set<string>();
    for (const [i, p] of s.publish.entries()) {
      const key = `${p.hostIp ?? '0.0.0.0'}:${p.host}/${p.protocol}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['publish', i], message: `host port ${p.host}/${p.protocol} is published twice` });
      seen.add(key);
    }
  });

const releaseTask = z
  .object({
    name: name.describe('Task name, as deploy logs and the audit log show it.'),
    command: argv.describe('Command run in a one-off container of the new image.'),
    phase: taskPhase
      .default('before-start')
      .describe('before-start (default): after the backup, before the new version starts; after-health: once the new version answers healthy beside the old one, before the switch.'),
  })
  .strict();

export const databaseSchema = z
  .object({
    kind: z.enum(['postgres', 'arangodb']).describe('Database engine: postgres or arangodb.'),
    name: dbIdentifier.default('app').describe('Database name.'),
    migrations: z.string().default('migrations').describe('Migrations directory, relative to greenlight.yaml.'),
    seeds: z.array(z.string()).default([]).describe('Seed files or directories, relative to greenlight.yaml.'),
    migrateCommand: argv
      .optional()
      .describe('App-managed migrations: a command run in a one-off container of the image instead of the built-in runner.'),
    migratePhase: taskPhase
      .default('before-start')
      .describe('When a deploy migrates: before-start (default: the new version starts on the migrated schema) or after-health (the new version is health-checked on the old schema first).'),
    local: z
      .object({
        url: urlWithoutPassword.optional().describe('Connection URL of a local server for tests, without password; absent = embedded PGlite.'),
        passwordEnv: envVarName.optional().describe('Environment variable holding the local password.'),
      })
      .strict()
      .default({})
      .describe('The database image tests run against: a local server (url) or, absent, embedded PGlite.'),
  })
  .strict();

const testSchema = z
  .object({
    mode: z.enum(['test-db', 'snapshot', 'none']).default('test-db').describe('How images are tested: test-db (a fresh test database), snapshot (loaded from test.snapshot) or none.'),
    command: argv.optional().describe('Test command run against the started images (argv).'),
    snapshot: z.string().optional().describe('Production snapshot or backup file to load into the test database.'),
  })
  .strict();

const hostKey = z
  .string()
  .regex(/^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa|rsa-sha2-(256|512)) [A-Za-z0-9+/=]+$/, 'an OpenSSH public key line: "<type> <base64>"');

/** A placement constraint as `docker service create --constraint` takes it: "node.role==worker", "node.labels.zone!=b". */
const placementConstraint = z
  .string()
  .max(256, 'at most 256 characters')
  .regex(/^(node\.(id|hostname|role|platform\.os|platform\.arch|labels\.[A-Za-z0-9_.-]+)|engine\.labels\.[A-Za-z0-9_.-]+)\s*(==|!=)\s*[A-Za-z0-9_.:/-]+$/, 'a placement constraint "<attribute>==<value>" or "<attribute>!=<value>" on node.id, node.hostname, node.role, node.platform.os, node.platform.arch, node.labels.<label> or engine.labels.<label>');

const swarmServiceSchema = z
  .object({
    replicas: z.number().int().min(0).max(1000).default(1).describe('How many tasks of the service run across the cluster.'),
    constraints: z.array(placementConstraint).default([]).describe('Placement constraints, e.g. "node.role==worker" or "node.labels.zone==a".'),
    maxReplicasPerNode: z.number().int().min(1).max(1000).optional().describe('At most this many tasks of the service on one node.'),
    resources: z
      .object({
        cpus: z.number().positive().max(1024).optional().describe('CPU limit per task (1.5 = one and a half cores).'),
        memoryMb: z.number().int().min(4).max(4194304).optional().describe('Memory limit per task, in MiB.'),
        reserveCpus: z.number().positive().max(1024).optional().describe('CPUs reserved per task (the scheduler places tasks only where they fit).'),
        reserveMemoryMb: z.number().int().min(4).max(4194304).optional().describe('Memory reserved per task, in MiB.'),
      })
      .strict()
      .default({}),
    healthCommand: argv
      .optional()
      .describe('The HEALTHCHECK command run inside each task (argv, no shell); "{url}" in it is replaced by the health URL (http://127.0.0.1:<port><health.path>). Default: wget -q -O /dev/null {url}.'),
  })
  .strict();

/** A Docker volume name (Docker's own rule). */
const volumeName = z.string().max(128, 'at most 128 characters').regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a volume name: letters, digits, "_", "." or "-", starting with a letter or digit');

/** The registry Greenlight runs on the manager's engine for the cluster (the default when `registry` is omitted). */
export const MANAGED_REGISTRY_DEFAULTS = { managed: true as const, port: 5000, image: 'registry:2', volume: 'greenlight-registry', container: 'greenlight-registry' };

const managedRegistrySchema = z
  .object({
    managed: z.literal(true, { error: 'managed: true (or omit registry: Greenlight then runs it too; a registry you run is named by its address "host:port")' }).describe('Greenlight starts and keeps the registry itself, on the manager\'s engine.'),
    port: z.number().int().min(1).max(65535).default(MANAGED_REGISTRY_DEFAULTS.port).describe('The port it is published on, on the manager\'s address.'),
    address: hostName.optional().describe("The manager's address as every node reaches it (default: the address the manager has in the swarm). Every node's engine must trust <address>:<port>: insecure-registries on a private network, or TLS."),
    image: z
      .string()
      .max(255)
      .regex(/^[a-z0-9][a-z0-9._\/:@-]*$/, 'an image reference such as "registry:2"')
      .default(MANAGED_REGISTRY_DEFAULTS.image)
      .describe('The registry image (pulled on the manager when missing). It must serve the Docker registry API on port 5000 with its data in /var/lib/registry, as registry:2 does.'),
    volume: volumeName.default(MANAGED_REGISTRY_DEFAULTS.volume).describe('The named volume that keeps the images; Greenlight never deletes it.'),
    container: containerName.default(MANAGED_REGISTRY_DEFAULTS.container).describe('Name of the registry container on the manager.'),
  })
  .strict();

const swarmSchema = z
  .object({
    registry: z
      .union([registryRef, managedRegistrySchema], { error: 'a registry address "host:port[/path]" (one you run), or { managed: true, port, address, image, volume, container } (the one Greenlight runs on the manager; also the default when registry is omitted)' })
      .default(MANAGED_REGISTRY_DEFAULTS)
      .describe("The registry every node pulls from. Omitted or { managed: true, … }: Greenlight runs one on the manager's engine (registry:2 on port 5000, its data on a named volume). A string host:port[/path]: a registry you run, as the manager's engine and the nodes reach it. The deploy pushes the shipped image there from the manager and services pull it by digest."),
    update: z
      .object({
        parallelism: z.number().int().min(1).max(100).default(1).describe('Tasks updated at once.'),
        delaySeconds: z.number().min(0).max(3600).default(0).describe('Pause between batches of tasks.'),
        monitorSeconds: z.number().min(0).max(3600).default(5).describe('How long each new task is watched after it turned healthy; a failure in that time rolls the service back.'),
        maxFailureRatio: z.number().min(0).max(1).default(0).describe('Share of tasks that may fail during an update before it rolls back.'),
      })
      .strict()
      .default({ parallelism: 1, delaySeconds: 0, monitorSeconds: 5, maxFailureRatio: 0 }),
    services: z.record(name, swarmServiceSchema).default({}).describe('Per service of this project: replicas, placement, resources, health command. A service not listed runs one replica.'),
    convergeTimeoutSeconds: z.number().int().min(10).max(7200).default(600).describe('How long a deploy waits for all services to converge (or roll back).'),
  })
  .strict();

export const environmentSchema = z
  .object({
    ssh: z
      .object({
        host: hostName.min(1).describe('SSH host name or address of the server.'),
        port: z.number().int().min(1).max(65535).default(22).describe('SSH port.'),
        user: userName.min(1).describe('SSH user that runs Docker on the host.'),
        identityFile: z.string().optional().describe('Private key file; absent = SSH agent ($SSH_AUTH_SOCK).'),
        hostKey: hostKey.optional().describe('Pinned host key; an unknown or changed key is refused.'),
        knownHostsFile: z.string().optional().describe('known_hosts file to read the pinned key from instead.'),
      })
      .strict()
      .describe('How Greenlight reaches the server: SSH host, user, key and pinned host key.'),
    docker: z
      .object({ socket: socketPath.default('/var/run/docker.sock').describe('The Docker engine socket on the host.') })
      .strict()
      .default({ socket: '/var/run/docker.sock' })
      .describe('The Docker engine on the host.'),
    host: hostName.optional().describe('Address at which services are reached for health checks (default: ssh.host).'),
    database: z
      .object({
        host: hostName.default('127.0.0.1').describe('As seen from the production host.'),
        port: z.number().int().min(1).max(65535).optional().describe('Database port as seen from the production host (default: the engine\'s).'),
        name: dbIdentifier.min(1).describe('Database name.'),
        user: dbIdentifier.min(1).describe('Database user; its password never goes in this file.'),
        passwordEnv: envVarName.optional().describe('Environment variable with the password (CLI); the editor uses SecretStorage.'),
        container: z
          .object({
            name: containerName.min(1).describe('The container on the host that runs PostgreSQL (or has its client tools).'),
            host: hostName.default('127.0.0.1').describe('The database address as seen inside that container.'),
            port: z.number().int().min(1).max(65535).default(5432).describe('The database port as seen inside that container.'),
          })
          .strict()
          .optional()
          .describe("PostgreSQL in a container: backups, restores and checks run its own pg_dump/pg_restore through `docker exec` (the host needs no PostgreSQL tools), and Greenlight's migration runner reaches the database at that container's address, so `host` may be a name only the services resolve (the container's name or alias on their network)."),
      })
      .strict()
      .optional()
      .describe('The production database as the host reaches it; backups are taken from it before migrations.'),
    backups: z
      .object({
        dir: absoluteHostPath().default('/var/backups/greenlight').describe('Absolute directory on the host for backups.'),
        keep: z.number().int().min(1).default(10).describe('How many backups to keep (the newest).'),
        gfs: z
          .object({ daily: z.number().int().min(0), weekly: z.number().int().min(0), monthly: z.number().int().min(0) })
          .strict()
          .optional()
          .describe('Grandfather-father-son retention; when set it replaces keep-N.'),
      })
      .strict()
      .default({ dir: '/var/backups/greenlight', keep: 10 })
      .describe('Where backups are kept on the host and how many.'),
    releaseTasks: z.array(releaseTask).default([]).describe('Commands run in one-off containers of the new image during a deploy.'),
    keepVersions: z.number().int().min(1).default(3).describe('How many previous versions to keep for rollback.'),
    stateDir: hostPath.default('.greenlight').describe('Directory on the host for the deploy lock and audit log (relative = SSH user home).'),
    tempPortOffset: z.number().int().min(1).default(1).describe('The new version first starts on port + this offset, beside the old one.'),
    proxy: z
      .object({
        enabled: z.boolean().default(true).describe('false: every service of this environment deploys with the old stop-and-swap on its published port.'),
        image: z
          .string()
          .max(255)
          .regex(/^[a-z0-9][a-z0-9._\/:@-]*$/, 'an image reference such as "caddy:2" or "registry.example.com/caddy:2.6"')
          .default('caddy:2')
          .describe('The Caddy image of the proxy container (pulled on the host when missing).'),
        container: containerName.default('greenlight-proxy').describe('Name of the one proxy container on the host.'),
        network: networkName.default('greenlight-proxy').describe('The network the proxy and every proxied service container join; the proxy reaches each version by its alias there.'),
        drainSeconds: z.number().int().min(0).max(3600).default(30).describe('How long requests in flight on the old version may take to finish after the proxy switched, before it stops.'),
        maintenance: z
          .object({
            duringTasks: z.boolean().default(false).describe("true: while a deploy's release tasks run (until the switch), the proxy answers the service's routes with a 503 maintenance page."),
            page: z
              .string()
              .min(1, 'a file path')
              .max(4096)
              .refine((p) => !p.includes('\0'), 'no NUL characters')
              .optional()
              .describe('An HTML file of the project (relative to greenlight.yaml) served as the maintenance page; default: a short built-in page.'),
            retryAfterSeconds: z.number().int().min(1).max(86400).default(30).describe('The Retry-After header of the maintenance answer.'),
          })
          .strict()
          .default({ duringTasks: false, retryAfterSeconds: 30 })
          .describe("A maintenance page (503, Retry-After) answered by the proxy while a deploy's release tasks run; `greenlight deploy --maintenance` turns it on for one deploy."),
        tls: z
          .object({
            ports: z.array(z.number().int().min(1).max(65535)).min(1).default([443]).describe('The host ports the proxy serves over HTTPS (a service publishes one of them, e.g. "443:3000").'),
            certificates: z
              .record(
                routeHost,
                z
                  .object({
                    certificate: z.string().min(1, 'a file path').max(4096).describe('PEM certificate (chain) file of the project (relative to greenlight.yaml).'),
                    key: z.string().min(1, 'a file path').max(4096).describe('PEM private key file; copied into the proxy container with mode 0600, never logged.'),
                  })
                  .strict(),
              )
              .default({})
              .describe('Your own certificate files per host name ("shop.example.com", "*.example.com"). They win over acme: a host name one of them covers is served from the files.'),
            acme: z
              .object({
                email: z.string().max(254).regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'an email address such as "ops@example.com"').describe('The ACME account email (the CA writes about expiring certificates or problems to it).'),
                ca: z
                  .string()
                  .max(2048)
                  .url('a URL such as "https://acme-v02.api.letsencrypt.org/directory"')
                  .refine((u) => u.startsWith('https://'), 'an https:// directory URL')
                  .default('https://acme-v02.api.letsencrypt.org/directory')
                  .describe("The ACME server's directory URL (default: Let's Encrypt production; its staging server is https://acme-staging-v02.api.letsencrypt.org/directory)."),
                caRootFile: z
                  .string()
                  .min(1, 'a file path')
                  .max(4096)
                  .refine((p) => !p.includes('\0'), 'no NUL characters')
                  .optional()
                  .describe("PEM file of the project (relative to greenlight.yaml) with the root certificate of a private ACME server's HTTPS, which the proxy then trusts for talking to it; not needed for a public CA."),
              })
              .strict()
              .optional()
              .describe("Automatic certificates: Caddy in the proxy obtains and renews a certificate from this ACME server for every proxy.hosts name on a TLS port that no certificates entry covers. The CA validates over HTTP-01 (port 80) or TLS-ALPN-01 (port 443): both must reach the host from the internet. No wildcard names (they need DNS-01). Certificates are kept in the proxy's data volume, across re-creations."),
            redirect: z
              .boolean()
              .default(true)
              .describe('true: a plain-HTTP request for a host name with a certificate here, on a port the same service also publishes without TLS (e.g. "80:3000" beside "443:3000"), is answered with a 308 redirect to https:// on its TLS port (ACME HTTP-01 challenge paths excepted), as Caddy\'s automatic HTTPS does. false: that port serves the app unencrypted.'),
          })
          .strict()
          .refine((t) => Object.keys(t.certificates).length > 0 || t.acme !== undefined, 'name at least one host name with its certificate and key files (certificates), or acme for automatic certificates')
          .optional()
          .describe('HTTPS on these ports for the routes\' proxy.hosts: with your own certificate files (certificates), automatic ACME certificates (acme), or both (your files win for the host names they cover).'),
      })
      .strict()
      .default({ enabled: true, image: 'caddy:2', container: 'greenlight-proxy', network: 'greenlight-proxy', drainSeconds: 30, maintenance: { duringTasks: false, retryAfterSeconds: 30 } })
      .describe('The reverse proxy (Caddy) in front of services with published ports: zero-downtime switches through its admin API.'),
    ship: z
      .object({
        mode: z.enum(['stream', 'artifact', 'registry']).default('stream').describe('How images get to the host: stream (over SSH), artifact or registry.'),
        registry: z.object({ push: registryRef, pull: registryRef }).strict().optional().describe('Registry as seen from here (push) and from the host (pull).'),
      })
      .strict()
      .default({ mode: 'stream' })
      .describe('How images are shipped to the host.'),
    swarm: swarmSchema
      .optional()
      .describe('A Docker Swarm: ssh reaches a manager, and services are deployed as swarm services (rolling start-first updates, automatic rollback).'),
  })
  .strict();

export const configSchema = z
  .object({
    $schema: z.string().optional(),
    project: name.describe('Project name; prefixes container names.'),
    services: z.array(serviceSchema).default([]).describe('The services built into images, tested and deployed.'),
    database: databaseSchema.optional().describe('The database the migrations, seeds and backups are for.'),
    test: testSchema.default({ mode: 'test-db' }).describe('How built images are tested before they may be deployed.'),
    environments: z.record(name, environmentSchema).default({}).describe('Servers to deploy to, by name (staging, production, …).'),
    // One lint configuration for `greenlight lint` (CI, a terminal) and the editor's language server.
    lint: z
      .object({
        rules: z
          .record(z.string().regex(/^[a-z][a-z0-9-]*$/, 'a rule code such as sql-create-table-if-not-exists'), z.enum(['off', 'error', 'warning', 'info']))
          .default({})
          .describe('Per rule code: off, or the severity it is reported with. The editor setting greenlight.lint.rules may override it locally.'),
        paths: z.array(z.string()).default([]).describe('Files, folders or globs linted besides database.migrations and database.seeds, relative to greenlight.yaml.'),
      })
      .strict()
      .optional()
      .describe('Lint rules, severities and paths shared by greenlight lint and the editor.'),
  })
  .strict()
  .superRefine((c, ctx) => {
    for (const [envName, env] of Object.entries(c.environments)) {
      if (!env.swarm) continue;
      const at = (...p: (string | number)[]): (string | number)[] => ['environments', envName, ...p];
      const known = new Set(c.services.map((s) => s.name));
      for (const svc of Object.keys(env.swarm.services)) {
        if (!known.has(svc)) ctx.addIssue({ code: 'custom', path: at('swarm', 'services', svc), message: `no service "${svc}" in services (known: ${[...known].join(', ') || 'none'})` });
      }
      // A swarm rolls task by task: there is no moment when the whole new version answers beside the old one.
      if (c.database?.migratePhase === 'after-health') ctx.addIssue({ code: 'custom', path: ['database', 'migratePhase'], message: `environment "${envName}" is a swarm: migrations run before the rolling update (before-start); after-health is for single hosts` });
      // HTTPS and the maintenance page are written into the single host's proxy config; a swarm's
      // proxy does neither yet, and a setting silently left out would look like it worked.
      if (env.proxy.tls) ctx.addIssue({ code: 'custom', path: at('proxy', 'tls'), message: `environment "${envName}" is a swarm: HTTPS through the proxy (own certificate files or ACME) is a single-host feature for now; terminate TLS in front of the swarm or remove proxy.tls` });
      if (env.proxy.maintenance.duringTasks) ctx.addIssue({ code: 'custom', path: at('proxy', 'maintenance', 'duringTasks'), message: `environment "${envName}" is a swarm: the maintenance page is a single-host feature for now (a rolling update keeps serving the old tasks instead)` });
      for (const [i, t] of env.releaseTasks.entries()) {
        if (t.phase === 'after-health') ctx.addIssue({ code: 'custom', path: at('releaseTasks', i, 'phase'), message: 'a swarm environment runs its release tasks before the rolling update: use phase before-start' });
      }
      for (const s of c.services) {
        if (s.networkMode === 'host') ctx.addIssue({ code: 'custom', path: ['services', c.services.indexOf(s), 'networkMode'], message: `environment "${envName}" is a swarm: services use overlay networks and published ports, not networkMode "host"` });
        for (const [i, p] of s.publish.entries()) {
          if (p.hostIp) ctx.addIssue({ code: 'custom', path: ['services', c.services.indexOf(s), 'publish', i], message: `environment "${envName}" is a swarm: a published port binds every address of the node it runs on (remove the address ${p.hostIp})` });
        }
      }
    }
  });

export type GreenlightConfig = z.infer<typeof configSchema>;
export type ServiceConfig = z.infer<typeof serviceSchema>;
export type DatabaseConfig = z.infer<typeof databaseSchema>;
export type EnvironmentConfig = z.infer<typeof environmentSchema>;
export type NetworkConfig = z.infer<typeof networkSchema>;
export type PublishConfig = z.infer<typeof publishSchema>;
export type TaskPhase = z.infer<typeof taskPhase>;

/** The service's Docker networking as the deploy applies it: explicit, or derived from networks/publish. */
export function networkModeOf(s: Pick<ServiceConfig, 'networkMode' | 'networks' | 'publish'>): 'bridge' | 'host' {
  return s.networkMode ?? (s.networks.length || s.publish.length ? 'bridge' : 'host');
}
export type ProxyConfig = EnvironmentConfig['proxy'];

/**
 * The proxy route of a service on an environment, or undefined when it deploys with the old
 * stop-and-swap: the proxy is the default for a service with published TCP ports, unless the
 * service says `proxy: false` or the environment `proxy.enabled: false`.
 */
export function proxyRouteOf(s: Pick<ServiceConfig, 'proxy' | 'publish' | 'networkMode' | 'networks'>, env: Pick<EnvironmentConfig, 'proxy'>): { hosts: string[]; paths: string[] } | undefined {
  if (!env.proxy.enabled || s.proxy === false || networkModeOf(s) !== 'bridge') return undefined;
  if (!s.publish.some((p) => p.protocol === 'tcp')) return undefined;
  return s.proxy ? { hosts: s.proxy.hosts, paths: s.proxy.paths } : { hosts: [], paths: [] };
}
export type ManagedRegistryConfig = z.infer<typeof managedRegistrySchema>;
