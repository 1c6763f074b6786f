// An environment's PostgreSQL database as the migration engine's session, for commands that read
// it from here (`greenlight migrate drift --env`). It goes the way the deploy goes: the
// environment's SSH connection (host key pinned in greenlight.yaml) and a loopback port forwarded
// over it to the database as the host sees it (ship/dbTunnel.ts), so the database port need not
// be reachable from this machine. Nothing is written to the database.
import type { JobContext } from '../common/job';
import { InputError } from '../common/errors';
import { databaseAddress, openDbTunnel } from '../ship/dbTunnel';
import { pgTargetOf } from './plan';
import { openEnvironment } from './session';
import { connectPg } from '../migrate/adapters/pgAdapter';
import type { PgSession } from '../migrate/session';

export interface EnvironmentDatabase {
  readonly session: PgSession;
  /** For reports: "environment production: appdb on 127.0.0.1:5432 via app@198.18.77.2:22". */
  readonly description: string;
  close(): Promise<void>;
}

export async function openEnvironmentDatabase(
  ctx: Pick<JobContext, 'signal' | 'log'>,
  opts: { configFile?: string; cwd: string; envName: string; vars: Readonly<Record<string, string | undefined>>; applicationName: string },
): Promise<EnvironmentDatabase> {
  const es = await openEnvironment(ctx, { configFile: opts.configFile, cwd: opts.cwd, envName: opts.envName, vars: opts.vars, retryForMs: 0 });
  try {
    if (es.config.database?.kind === 'arangodb') throw new InputError(`environment "${opts.envName}": drift compares PostgreSQL schemas; this project's database is ArangoDB`);
    const pg = pgTargetOf(es.environment.env, es.secrets);
    if (!pg) throw new InputError(`environment "${opts.envName}" has no database (environments.${opts.envName}.database in greenlight.yaml)`);
    const at = await databaseAddress(es.host.docker, pg);
    const tunnel = await openDbTunnel(es.host, at.host, at.port);
    let session: PgSession;
    try {
      const url = `postgres://${encodeURIComponent(pg.user)}@${tunnel.host}:${tunnel.port}/${encodeURIComponent(pg.database)}`;
      session = await connectPg(url, { password: pg.password, applicationName: opts.applicationName });
    } catch (e) {
      await tunnel.close();
      throw e;
    }
    return {
      session,
      description: `environment ${opts.envName}: ${pg.database} on ${pg.host}:${pg.port} via ${es.host.where}`,
      close: async () => {
        await session.close().catch(() => undefined);
        await tunnel.close();
        es.close();
      },
    };
  } catch (e) {
    es.close();
    throw e;
  }
}
