// Loads greenlight.yaml for the image commands and turns its problems into one InputError that
// lists each as file:line:column, so every entry point (CLI, service job, tests) reports the same.
import * as path from 'node:path';
import { InputError } from '../common/errors';
import { CONFIG_FILE_NAME, formatProblem, loadConfig } from '../config/load';
import type { GreenlightConfig, ServiceConfig } from '../config/schema';

export interface Project {
  readonly root: string;
  readonly file: string;
  readonly config: GreenlightConfig;
}

export async function loadProject(workspaceRoot: string, configFile = CONFIG_FILE_NAME): Promise<Project> {
  const file = path.resolve(workspaceRoot, configFile);
  const r = await loadConfig(file);
  if (!r.ok) throw new InputError(r.problems.map(formatProblem).join('\n'));
  return { root: r.root, file, config: r.config };
}

/** The named services in config order, or all of them; an unknown name is an input error. */
export function selectServices(config: GreenlightConfig, names: readonly string[] | undefined, file: string): ServiceConfig[] {
  if (config.services.length === 0) throw new InputError(`${file}: no services are declared, so there is nothing to build`);
  if (!names || names.length === 0) return config.services;
  const known = new Set(config.services.map((s) => s.name));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length) throw new InputError(`${file}: unknown service${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')} (declared: ${[...known].join(', ')})`);
  return config.services.filter((s) => names.includes(s.name));
}

/** The alternate port a service listens on during local image tests. */
export function testPortOf(s: ServiceConfig): number {
  return s.testPort ?? (s.port + 10000 <= 65535 ? s.port + 10000 : s.port);
}
