// The shape of greenlight.yaml. The zod schema is the single source: the loader validates with
// it, the build writes the JSON Schema from it (schemas/greenlight.schema.json) for editors, and
// the TypeScript types below are inferred from it.
import { z } from 'zod';

const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'lower-case letters, digits, "-", "_" or "." (starting with a letter or digit)');

/** An argv array: commands are data, never a shell string built from input. */
const argv = z.array(z.string().min(1)).min(1);

const healthSchema = z
  .object({
    path: z.string().startsWith('/').default('/health').describe('HTTP path that answers 200 when the service is healthy.'),
    timeoutSeconds: z.number().int().positive().default(60).describe('How long to wait for the service to become healthy.'),
    intervalMs: z.number().int().positive().default(500).describe('First delay between health probes (doubles up to 5 s).'),
  })
  .strict();

export const serviceSchema = z
  .object({
    name,
    context: z.string().default('.').describe('Build context directory, relative to greenlight.yaml.'),
    dockerfile: z.string().default('Dockerfile').describe('Dockerfile path, relative to the context.'),
    port: z.number().int().min(1).max(65535).describe('Port the service listens on in production.'),
    testPort: z.number().int().min(1).max(65535).optional().describe('Alternate port for local image tests (default port + 10000).'),
    health: healthSchema.default({ path: '/health', timeoutSeconds: 60, intervalMs: 500 }),
    env: z.record(z.string(), z.string()).default({}).describe('Plain environment variables. Secrets go in secretEnv.'),
    secretEnv: z
      .array(z.string().regex(/^[A-Z_][A-Z0-9_]*$/))
      .default([])
      .describe('Names of environment variables whose values come from SecretStorage (editor) or the environment (CLI).'),
    volumes: z.array(z.string()).default([]).describe('Docker volume mounts, "name:/path" or "/host:/path".'),
    databaseUrlEnv: z.string().default('DATABASE_URL').describe('Variable through which the service receives its database URL.'),
    prepare: argv
      .optional()
      .describe('Command run on the build machine in the context directory before each build (argv), e.g. to stage files the Dockerfile copies.'),
  })
  .strict();

const releaseTask = z
  .object({
    name,
    command: argv.describe('Command run in a one-off container of the new image.'),
  })
  .strict();

export const databaseSchema = z
  .object({
    kind: z.enum(['postgres', 'arangodb']),
    name: z.string().default('app').describe('Database name.'),
    migrations: z.string().default('migrations').describe('Migrations directory, relative to greenlight.yaml.'),
    seeds: z.array(z.string()).default([]).describe('Seed files or directories, relative to greenlight.yaml.'),
    migrateCommand: argv
      .optional()
      .describe('App-managed migrations: a command run in a one-off container of the image instead of the built-in runner.'),
    local: z
      .object({
        url: z.string().optional().describe('Connection URL of a local server for tests, without password; absent = embedded PGlite.'),
        passwordEnv: z.string().optional().describe('Environment variable holding the local password.'),
      })
      .strict()
      .default({}),
  })
  .strict();

const testSchema = z
  .object({
    mode: z.enum(['test-db', 'snapshot', 'none']).default('test-db'),
    command: argv.optional().describe('Test command run against the started images (argv).'),
    snapshot: z.string().optional().describe('Production snapshot or backup file to load into the test database.'),
  })
  .strict();

const hostKey = z
  .string()
  .regex(/^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa|rsa-sha2-(256|512)) [A-Za-z0-9+/=]+$/, 'an OpenSSH public key line: "<type> <base64>"');

export const environmentSchema = z
  .object({
    ssh: z
      .object({
        host: z.string().min(1),
        port: z.number().int().min(1).max(65535).default(22),
        user: z.string().min(1),
        identityFile: z.string().optional().describe('Private key file; absent = SSH agent ($SSH_AUTH_SOCK).'),
        hostKey: hostKey.optional().describe('Pinned host key; an unknown or changed key is refused.'),
        knownHostsFile: z.string().optional().describe('known_hosts file to read the pinned key from instead.'),
      })
      .strict(),
    docker: z
      .object({ socket: z.string().default('/var/run/docker.sock') })
      .strict()
      .default({ socket: '/var/run/docker.sock' }),
    host: z.string().optional().describe('Address at which services are reached for health checks (default: ssh.host).'),
    database: z
      .object({
        host: z.string().default('127.0.0.1').describe('As seen from the production host.'),
        port: z.number().int().min(1).max(65535).optional(),
        name: z.string().min(1),
        user: z.string().min(1),
        passwordEnv: z.string().optional().describe('Environment variable with the password (CLI); the editor uses SecretStorage.'),
        container: z
          .object({
            name: z.string().min(1).describe('The container on the host that runs PostgreSQL (or has its client tools).'),
            host: z.string().default('127.0.0.1').describe('The database address as seen inside that container.'),
            port: z.number().int().min(1).max(65535).default(5432).describe('The database port as seen inside that container.'),
          })
          .strict()
          .optional()
          .describe("PostgreSQL in a container: backups, restores and checks run its own pg_dump/pg_restore through `docker exec` (the host needs no PostgreSQL tools)."),
      })
      .strict()
      .optional(),
    backups: z
      .object({
        dir: z.string().default('/var/backups/greenlight'),
        keep: z.number().int().min(1).default(10),
        gfs: z
          .object({ daily: z.number().int().min(0), weekly: z.number().int().min(0), monthly: z.number().int().min(0) })
          .strict()
          .optional()
          .describe('Grandfather-father-son retention; when set it replaces keep-N.'),
      })
      .strict()
      .default({ dir: '/var/backups/greenlight', keep: 10 }),
    releaseTasks: z.array(releaseTask).default([]),
    keepVersions: z.number().int().min(1).default(3).describe('How many previous versions to keep for rollback.'),
    stateDir: z.string().default('.greenlight').describe('Directory on the host for the deploy lock and audit log (relative = SSH user home).'),
    tempPortOffset: z.number().int().min(1).default(1).describe('The new version first starts on port + this offset, beside the old one.'),
    ship: z
      .object({
        mode: z.enum(['stream', 'artifact', 'registry']).default('stream'),
        registry: z.object({ push: z.string(), pull: z.string() }).strict().optional().describe('Registry as seen from here (push) and from the host (pull).'),
      })
      .strict()
      .default({ mode: 'stream' }),
  })
  .strict();

export const configSchema = z
  .object({
    $schema: z.string().optional(),
    project: name.describe('Project name; prefixes container names.'),
    services: z.array(serviceSchema).default([]),
    database: databaseSchema.optional(),
    test: testSchema.default({ mode: 'test-db' }),
    environments: z.record(name, environmentSchema).default({}),
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
  .strict();

export type GreenlightConfig = z.infer<typeof configSchema>;
export type ServiceConfig = z.infer<typeof serviceSchema>;
export type DatabaseConfig = z.infer<typeof databaseSchema>;
export type EnvironmentConfig = z.infer<typeof environmentSchema>;
