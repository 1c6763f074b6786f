// A plain-data view of a loaded config, shared by the CLI's summary and the editor's views.
import type { ConfigResult } from './load';

export interface ConfigSummaryData {
  readonly file: string;
  readonly found: boolean;
  readonly ok: boolean;
  readonly project?: string;
  /** secretEnv: the names of the service's secret variables (never values). */
  readonly services: readonly { name: string; port: number; secretEnv: readonly string[] }[];
  readonly database?: { kind: string; migrations: string };
  readonly environments: readonly {
    name: string;
    sshTarget: string;
    hostKeyPinned: boolean;
    database?: string;
    backupsDir: string;
    keep: number;
  }[];
  readonly problems: ConfigResult extends infer R ? (R extends { ok: false; problems: infer P } ? P : never) : never;
}

export function summarizeConfig(r: ConfigResult): ConfigSummaryData {
  if (!r.ok) {
    const found = !r.missing;
    return { file: r.file, found, ok: false, services: [], environments: [], problems: r.problems };
  }
  const c = r.config;
  return {
    file: r.file,
    found: true,
    ok: true,
    project: c.project,
    services: c.services.map((s) => ({ name: s.name, port: s.port, secretEnv: [...s.secretEnv] })),
    database: c.database ? { kind: c.database.kind, migrations: c.database.migrations } : undefined,
    environments: Object.entries(c.environments).map(([name, e]) => ({
      name,
      sshTarget: `${e.ssh.user}@${e.ssh.host}:${e.ssh.port}`,
      hostKeyPinned: Boolean(e.ssh.hostKey ?? e.ssh.knownHostsFile),
      database: e.database ? `${e.database.user}@${e.database.host}/${e.database.name}` : undefined,
      backupsDir: e.backups.dir,
      keep: e.backups.keep,
    })),
    problems: [],
  };
}
