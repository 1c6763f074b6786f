// `greenlight status [--env <name>] [--json]`: what runs on an environment (every environment when
// --env is absent): each service's version, state, uptime and health, the retained versions, the
// deploy lock and the last deploys.
import * as path from 'node:path';
import type { Command } from 'commander';
import { InputError, errorMessage } from '../../core/common/errors';
import { CONFIG_FILE_NAME } from '../../core/config/load';
import { loadProject, openEnvironment } from '../../core/deploy/session';
import { environmentStatus, type EnvironmentStatus } from '../../core/deploy/status';
import { releaseLine, replicaLine } from '../../core/deploy/swarmStatus';
import { cliContext, colorsOf, type CliIo } from '../io';
import { withSignal } from './ship';

/** The --env given, or the only environment of greenlight.yaml; several or none is an input error. */
export async function defaultEnvironment(io: CliIo, configFile: string, env: string | undefined): Promise<string> {
  if (env) return env;
  const { config } = await loadProject(path.resolve(io.cwd, configFile));
  const names = Object.keys(config.environments);
  if (names.length === 1) return names[0]!;
  if (names.length === 0) throw new InputError(`${configFile} declares no environments; add one under environments: (or run greenlight init --force --ssh user@host)`);
  throw new InputError(`${configFile} declares ${names.length} environments (${names.join(', ')}); say which one with --env`);
}

/** "3d 4h", "2h 5m", "42s": the two largest units. */
export function formatUptime(seconds: number): string {
  const parts: string[] = [];
  let rest = seconds;
  for (const [unit, n] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const q = Math.floor(rest / n);
    if (q > 0 || (unit === 's' && parts.length === 0)) parts.push(`${q}${unit}`);
    rest -= q * n;
  }
  return parts.slice(0, 2).join(' ');
}

function printStatus(io: CliIo, st: EnvironmentStatus): void {
  const c = colorsOf(io).out;
  io.out(`${st.env} (${st.host})`);
  if (st.swarm) {
    printSwarm(io, st);
    return;
  }
  for (const x of st.services) {
    const up = x.uptimeSeconds !== undefined ? `, up ${formatUptime(x.uptimeSeconds)}` : '';
    const health = x.healthy ? c.green(x.health) : x.health === '-' ? x.health : c.red(x.health);
    io.out(`  ${x.service}: ${x.version ?? '-'} ${x.state}${up}${x.startedAt ? ` (since ${x.startedAt})` : ''}, health ${health}; retained: ${x.retained.join(', ') || 'none'}${x.proxy ? `; proxy → ${x.proxy}` : ''}`);
  }
  printProxy(io, st);
  io.out(`  lock: ${st.lock === undefined ? 'free' : typeof st.lock === 'string' ? st.lock : `${st.lock.who} on ${st.lock.machine} since ${st.lock.since} (${st.lock.what})`}`);
  for (const a of st.recent.slice(0, 5)) io.out(`  ${a.at} ${a.action} ${a.service ?? ''} ${a.version ?? ''} ${a.result} by ${a.who}${a.backupId ? ` (backup ${a.backupId})` : ''}`);
}

/** The host's proxy, as the Environments view shows it: state and route count, then one line per route. */
export function proxyLines(st: Pick<EnvironmentStatus, 'proxy'>): string[] {
  const p = st.proxy;
  if (!p) return [];
  const routes = p.problem ? `routes unreadable: ${p.problem}` : `${p.routes.length} route${p.routes.length === 1 ? '' : 's'}`;
  return [
    `  proxy (Caddy) ${p.container}: ${p.running ? `running · ${routes}` : p.state}`,
    ...p.routes.map((r) => `    ${r.match} → ${r.version ?? r.upstream}: ${r.inFlight} in flight, ${r.fails} failed${r.maintenance ? ' (maintenance page)' : ''}`),
  ];
}

function printProxy(io: CliIo, st: EnvironmentStatus): void {
  const c = colorsOf(io).out;
  const p = st.proxy;
  proxyLines(st).forEach((line, i) => {
    const bad = i === 0 ? !!p && (!p.running || !!p.problem) : (p?.routes[i - 1]?.fails ?? 0) > 0;
    io.out(bad ? (i === 0 ? c.red(line) : c.yellow(line)) : line);
  });
}

/** A swarm environment: nodes, each service's replicas per version, the lock, the release history. */
function printSwarm(io: CliIo, st: EnvironmentStatus): void {
  const c = colorsOf(io).out;
  const sw = st.swarm!;
  io.out(`  nodes (${sw.nodes.filter((n) => n.state === 'ready' && n.availability === 'active').length} of ${sw.nodes.length} ready and active):`);
  for (const n of sw.nodes) {
    const state = n.state === 'ready' ? c.green(n.state) : c.red(n.state);
    io.out(`    ${n.hostname} ${n.address ? `(${n.address}) ` : ''}${n.role}${n.leader ? ' (leader)' : ''}: ${state}, ${n.availability}`);
  }
  io.out('  services:');
  for (const s of sw.services) {
    const line = replicaLine(s);
    const cur = s.versions[0];
    const ok = s.deployed && !!cur && cur.running >= s.replicas;
    io.out(`    ${s.service}: ${!s.deployed ? line : ok ? c.green(line) : c.red(line)}${s.updateMessage && s.updateState !== 'completed' ? `: ${s.updateMessage}` : ''}`);
    for (const v of s.versions) io.out(`      ${v.version}: ${v.running} running, ${v.desired} desired (${v.image})`);
    if (s.lastError && !ok) io.out(`      last task error: ${s.lastError}`);
  }
  printProxy(io, st);
  io.out(`  lock: ${st.lock === undefined ? 'free' : typeof st.lock === 'string' ? st.lock : `${st.lock.who} on ${st.lock.machine} since ${st.lock.since} (${st.lock.what})`}`);
  io.out(`  releases (newest first):${sw.releases.length ? '' : ' none recorded'}`);
  for (const r of sw.releases.slice(0, 5)) io.out(`    ${releaseLine(r)}`);
}

export function registerStatus(program: Command, io: CliIo): void {
  program
    .command('status')
    .description('what runs on an environment (all when --env is absent): versions, uptime, health, retained versions, deploy lock, recent deploys')
    .option('-e, --env <name>', 'environment from greenlight.yaml (default: every environment)')
    .option('-c, --config <file>', 'project file', CONFIG_FILE_NAME)
    .option('--json', 'print as JSON (one object with --env, else an array with one entry per environment)')
    .action(async (opts: { env?: string; config: string; json?: boolean }) => {
      await withSignal(async (signal) => {
        const ctx = cliContext(io, signal);
        const { config } = await loadProject(path.resolve(io.cwd, opts.config));
        const names = opts.env ? [opts.env] : Object.keys(config.environments);
        if (names.length === 0) throw new InputError(`${opts.config} declares no environments; add one under environments:`);
        const all: (EnvironmentStatus | { env: string; error: string })[] = [];
        for (const envName of names) {
          try {
            const s = await openEnvironment(ctx, { configFile: opts.config, cwd: io.cwd, envName, vars: io.env, retryForMs: 0, needsSecrets: false });
            try {
              const st = await environmentStatus(ctx, s.host, s.config, s.environment);
              all.push(st);
              if (!opts.json) printStatus(io, st);
            } finally {
              s.close();
            }
          } catch (e) {
            // With --env the error is the answer; across environments one unreachable host must not hide the others.
            if (opts.env || e instanceof InputError) throw e;
            all.push({ env: envName, error: errorMessage(e) });
            if (!opts.json) io.out(`${envName}: ${errorMessage(e)}`);
            io.exit(1);
          }
        }
        if (opts.json) io.out(JSON.stringify(opts.env ? all[0] : all, null, 2));
      });
    });
}
