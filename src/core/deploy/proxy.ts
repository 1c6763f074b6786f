// The host's reverse proxy: one long-lived Caddy container per host, on the proxy network, that
// publishes the services' host ports and sends each request to the serving version of a service.
// A route never names a version: it names a stable DNS name (on one host the serving container's
// name, on a swarm `tasks.<service>`) that Caddy resolves again every DNS_REFRESH_MS (its `dynamic
// a` upstreams). A deploy switches a version by moving that name (`docker rename` of the running
// containers: Docker's embedded DNS follows the rename), not by changing Caddy's config: every
// config load is a reload, which closes the clients' idle keep-alive connections, and a client
// that sent on one of them at that instant got a reset (about 15 in 20,000 requests, measured).
// Config loads (POST /load of the whole JSON) remain for what does change the config: a service's
// first route, its hosts, paths or TLS, and the maintenance page.
//
// The admin API listens on localhost inside the container only: Greenlight reaches it by running
// `wget` in the container (docker exec, argv only, through the one Docker contract), so no port
// of it is ever published and no service container can reach it. Caddy's own `--resume` keeps
// the last config across restarts of the container.
//
// The config is a plain JSON document built here from data, so unit tests pin it exactly.
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { OperationError, errorMessage } from '../common/errors';
import { sleep, type JobContext } from '../common/job';
import { proxyRouteOf, type EnvironmentConfig, type ProxyConfig, type ServiceConfig } from '../config/schema';
import type { ContainerSpec, DockerEngine, PublishedPort } from '../images/docker';
import { LABEL } from './plan';

/** Labels of the proxy container and of the versions behind it. */
export const PROXY_LABEL = {
  /** The published ports the proxy container was created with ("0.0.0.0:80,127.0.0.1:8080"). */
  ports: 'greenlight.proxy.ports',
  /** On a service container: its alias of its own on the proxy network (the serving one is reached by its container name). */
  upstream: 'greenlight.upstream',
  /** The proxy container's resolver options ("ndots:1"); absent on one an older Greenlight created. */
  dns: 'greenlight.proxy.dns',
  /** The named volume the proxy container keeps Caddy's data in; absent on one an older Greenlight created. */
  data: 'greenlight.proxy.data',
} as const;

const ADMIN = 'http://127.0.0.1:2019';
/** Serialises config changes from several environments on one host: mkdir is atomic. */
const LOCK_DIR = '/tmp/greenlight-config.lock';

export interface ProxyRoute {
  /** Unique per project, service and port: `gl-<project>-<service>-<port>`. */
  readonly id: string;
  readonly port: number;
  readonly hosts: readonly string[];
  readonly paths: readonly string[];
  /**
   * `name:port` on the proxy network: a DNS name Caddy resolves again every DNS_REFRESH_MS
   * (serviceRoutes), so the route stays the same while the name moves from version to version.
   */
  readonly upstream: string;
  /** For messages: which service and version the route was set for (the config names no version). */
  readonly service: string;
  readonly version: string;
  /** The name resolves to several tasks of a swarm service: round robin, and a task that failed is skipped for a while. */
  readonly balanced?: boolean;
}

export type CaddyConfig = Record<string, any>;

/**
 * How often Caddy resolves a route's DNS name again. After the name moved, requests may still go
 * to the old address for this long: the drain waits it out before it counts the old version's
 * requests in flight.
 */
export const DNS_REFRESH_MS = 1000;

/**
 * The proxy routes of a service: each published TCP port sends its requests to `dnsName` (on one
 * host the serving container's name, on a swarm `tasks.<service>`), resolved again every
 * DNS_REFRESH_MS. The routes name no version, so they stay the same through every deploy,
 * rollback and recovery: only moving the name switches a version.
 */
export function serviceRoutes(project: string, s: Pick<ServiceConfig, 'name' | 'publish' | 'proxy' | 'networkMode' | 'networks'>, env: Pick<EnvironmentConfig, 'proxy'>, dnsName: string, version: string, balanced = false): ProxyRoute[] {
  const route = proxyRouteOf(s, env);
  if (!route) return [];
  return s.publish.filter((p) => p.protocol === 'tcp').map((p) => ({ id: routeIdOf(project, s.name, p.host), port: p.host, hosts: route.hosts, paths: route.paths, upstream: `${dnsName}:${p.container}`, ...(balanced ? { balanced } : {}), service: s.name, version }));
}

export function routeIdOf(project: string, service: string, port: number): string {
  return `gl-${project}-${service}-${port}`;
}

export function serverNameOf(port: number): string {
  return `greenlight-${port}`;
}

/**
 * A version's alias on the proxy network: unique per deploy (a redeploy of the same version must
 * not share a DNS name with the one it replaces) and at most 63 characters (one DNS label).
 */
export function upstreamAliasOf(current: string, version: string, deployId: string): string {
  const suffix = deployId.replace(/[^a-z0-9]/gi, '').slice(-6).toLowerCase();
  const base = `${current}-${version}`.replace(/[^A-Za-z0-9_.-]/g, '-');
  const full = `${base}-${suffix}`;
  if (full.length <= 63) return full;
  return `${current.slice(0, 40).replace(/[-.]+$/, '')}-${createHash('sha256').update(base).digest('hex').slice(0, 12)}-${suffix}`;
}

/**
 * The handler of a route to a DNS name Caddy resolves again every DNS_REFRESH_MS (`dynamic a`),
 * dialled at the addresses it resolved to.
 *
 * One host: the name is the serving container's. A switch renames the old container away and the
 * new one to it, so for the moment between the two renames the name resolves to nothing (the
 * proxy container's `ndots:1` makes Docker's DNS say so at once instead of asking the host's DNS
 * server). A request whose lookup falls in that moment gets the static upstream of the same name,
 * whose dial fails on the same lookup: a dial error, which Caddy tries again after try_interval
 * for any method, since nothing was sent (a lookup error alone would answer 503 to a non-GET).
 *
 * A swarm (`balanced`): the name is `tasks.<service>`, every running, healthy task, round robin.
 * During a start-first rolling update the swarm removes a task from that name before it stops
 * it, but Caddy may still hold its address for up to one refresh: a dial to it fails
 * (dial_timeout), a request it drops when it stops is a failed attempt, and either is tried again
 * on another task within try_duration (Caddy re-sends only GET requests, or those retry_match
 * names: nothing is sent twice that the client did not make safe to repeat). A failed task is
 * skipped for fail_duration (passive health), so the next requests do not try it first.
 * dial_timeout outlasts one lost SYN (retransmitted after 1 s), and fail_duration is one DNS
 * refresh: under load a healthy task's full listen queue drops SYNs, and with longer values a burst
 * of those marked every task down at once, holding requests until the client gave up (measured:
 * 5 timeouts in 40,000 requests with 1 s / 5 s, docs/benchmarks.d/swarm-proxy.md). One host has
 * one upstream: nothing to skip to, so no passive health.
 */
export function dynamicProxyHandler(upstream: string, balanced = true): Record<string, unknown> {
  const at = upstream.lastIndexOf(':');
  return {
    handler: 'reverse_proxy',
    ...(balanced ? {} : { upstreams: [{ dial: upstream }] }),
    dynamic_upstreams: { source: 'a', name: upstream.slice(0, at), port: upstream.slice(at + 1), refresh: `${DNS_REFRESH_MS / 1000}s`, dial_timeout: '1s' },
    load_balancing: { selection_policy: { policy: 'round_robin' }, try_duration: '10s', try_interval: '100ms' },
    ...(balanced ? { health_checks: { passive: { fail_duration: '1s', max_fails: 1 } } } : {}),
    transport: { protocol: 'http', dial_timeout: '2s' },
  };
}

/**
 * The addresses Caddy counts a version's requests under (GET /reverse_proxy/upstreams), per port
 * it listens on: its address on the proxy network (what the route's name resolved to while it
 * served) and its own alias (what a route an older Greenlight wrote dialled).
 */
export function versionUpstreams(c: { readonly labels: Readonly<Record<string, string>>; readonly stateDetail: { readonly addresses: Readonly<Record<string, string>> } }, network: string, containerPorts: readonly number[]): string[] {
  const at = c.stateDetail.addresses[network];
  const alias = c.labels[PROXY_LABEL.upstream];
  return containerPorts.flatMap((p) => [...(at ? [`${at}:${p}`] : []), ...(alias ? [`${alias}:${p}`] : [])]);
}

/** The route that serves: match by host and path prefix (absent = any), proxy to one upstream. */
export function caddyRoute(r: ProxyRoute): Record<string, unknown> {
  const match: Record<string, unknown> = {};
  if (r.hosts.length) match.host = [...r.hosts];
  if (r.paths.length) match.path = r.paths.flatMap((p) => (p === '/' ? ['/*'] : [p.replace(/\/$/, ''), `${p.replace(/\/$/, '')}/*`]));
  return {
    '@id': r.id,
    ...(Object.keys(match).length ? { match: [match] } : {}),
    handle: [dynamicProxyHandler(r.upstream, r.balanced ?? false)],
    terminal: true,
  };
}

const MAINTENANCE = '-maintenance';

/** The page the proxy answers while a service is in maintenance and the project gave none. */
export function defaultMaintenancePage(service: string): string {
  const name = service.replace(/[^A-Za-z0-9_.-]/g, '');
  return `<!doctype html>\n<html><head><meta charset="utf-8"><title>Down for maintenance</title></head>\n<body><h1>Down for maintenance</h1><p>${name} is being updated and will be back in a moment.</p></body></html>\n`;
}

/**
 * The config with each route of `routeIds` answered by a 503 maintenance page: a route of its own
 * (`<id>-maintenance`) with the same match, placed just before the route it covers, so the
 * serving route itself is untouched and clearing is removing the one route. Routes the config
 * does not have are left alone; the ids that were covered are returned.
 */
export function withMaintenance(config: CaddyConfig | null | undefined, routeIds: readonly string[], page: string, retryAfterSeconds: number): { config: CaddyConfig; covered: string[] } {
  const c: CaddyConfig = structuredClone(config ?? {});
  const covered: string[] = [];
  for (const server of Object.values((c.apps?.http?.servers ?? {}) as Record<string, any>)) {
    const routes = ((server.routes ?? []) as Record<string, any>[]).filter((x) => !routeIds.some((id) => x['@id'] === `${id}${MAINTENANCE}`));
    const out: Record<string, any>[] = [];
    for (const r of routes) {
      const id = String(r['@id'] ?? '');
      if (routeIds.includes(id)) {
        covered.push(id);
        out.push({
          '@id': `${id}${MAINTENANCE}`,
          ...(r.match ? { match: structuredClone(r.match) } : {}),
          handle: [{ handler: 'static_response', status_code: 503, headers: { 'Retry-After': [String(retryAfterSeconds)], 'Content-Type': ['text/html; charset=utf-8'], 'Cache-Control': ['no-store'] }, body: page }],
          terminal: true,
        });
      }
      out.push(r);
    }
    server.routes = out;
  }
  return { config: c, covered };
}

/** The config without the maintenance routes of `routeIds` (nothing else changes). */
export function withoutMaintenance(config: CaddyConfig | null | undefined, routeIds: readonly string[]): CaddyConfig {
  const c: CaddyConfig = structuredClone(config ?? {});
  for (const server of Object.values((c.apps?.http?.servers ?? {}) as Record<string, any>)) {
    if (server.routes) server.routes = (server.routes as Record<string, any>[]).filter((x) => !routeIds.some((id) => x['@id'] === `${id}${MAINTENANCE}`));
  }
  return c;
}

/** The route ids of the config that answer with the maintenance page now. */
export function inMaintenance(config: CaddyConfig | null | undefined): string[] {
  const out: string[] = [];
  for (const server of Object.values((config?.apps?.http?.servers ?? {}) as Record<string, any>)) {
    for (const r of (server.routes ?? []) as Record<string, any>[]) {
      const id = String(r['@id'] ?? '');
      if (id.endsWith(MAINTENANCE)) out.push(id.slice(0, -MAINTENANCE.length));
    }
  }
  return out;
}

const REDIRECT = '-redirect';

/**
 * The path of the ACME HTTP-01 challenge. Caddy 2.6 answers a challenge it started itself before
 * any route (Server.ServeHTTP calls the tls app's HandleHTTPChallenge on every server, automatic
 * HTTPS or not); the redirect still leaves the path alone, so a challenge Caddy did not start
 * reaches the app as it did before.
 */
export const ACME_CHALLENGE_PATH = '/.well-known/acme-challenge/*';

/**
 * The route that sends a plain-HTTP request for a route's TLS-covered host names to HTTPS, as
 * Caddy's automatic HTTPS would: 308 (the method and body are kept) to the same host and URI on
 * `httpsPort`. It matches what the serving route matches, except the ACME challenge path.
 */
export function redirectRoute(r: ProxyRoute, httpsPort: number): Record<string, unknown> {
  const match = { ...((caddyRoute(r).match as Record<string, unknown>[] | undefined)?.[0] ?? {}), not: [{ path: [ACME_CHALLENGE_PATH] }] };
  return {
    '@id': `${r.id}${REDIRECT}`,
    match: [match],
    handle: [{ handler: 'static_response', status_code: 308, headers: { Location: [`https://{http.request.host}${httpsPort === 443 ? '' : `:${httpsPort}`}{http.request.uri}`] } }],
    terminal: true,
  };
}

/** A route of Greenlight's own beside a service's route (maintenance, HTTPS redirect, or the drain route an older Greenlight wrote), not one that serves. */
function isAuxiliary(route: Record<string, any>): boolean {
  const id = String(route['@id'] ?? '');
  return id.endsWith('-drain') || id.endsWith(MAINTENANCE) || id.endsWith(REDIRECT);
}

/** More specific routes first: longer paths, then host-only, then the catch-all. */
function specificity(route: Record<string, any>): number {
  const m = (route.match?.[0] ?? {}) as { host?: string[]; path?: string[] };
  const longestPath = Math.max(0, ...(m.path ?? []).map((p) => p.length));
  return (m.path ? 100_000 + longestPath : 0) + (m.host ? 10_000 : 0);
}

/** Where the proxy container keeps the certificate files Greenlight copied into it. */
export const TLS_DIR = '/greenlight-tls';

/** A certificate and key of one host name, read from the project, as they go into the proxy. */
export interface TlsFiles {
  readonly host: string;
  readonly certificate: Buffer;
  readonly key: Buffer;
}

/** The file names of a host name's certificate and key in TLS_DIR ("*" is kept: it is a plain file name character). */
export function tlsFileNames(host: string): { certificate: string; key: string } {
  const base = host.toLowerCase();
  return { certificate: `${base}.crt`, key: `${base}.key` };
}

/** What withRoute needs to serve HTTPS: the TLS ports and the host names whose files are in the container. */
export interface TlsPlan {
  readonly ports: readonly number[];
  readonly hosts: readonly string[];
  /**
   * Per host name, a digest of its certificate and key files, kept in the config as a tag: the
   * config changes exactly when the files do, so a renewed certificate is loaded (setRoute loads
   * only a changed config).
   */
  readonly digests?: Readonly<Record<string, string>>;
  /**
   * The service's TLS host port that its plain-HTTP routes redirect to (proxy.tls.redirect); absent:
   * no redirect. Every host name of a route with a plan has a certificate (tlsPlanOf refuses others).
   */
  readonly redirectTo?: number;
  /** Host names (lower case) whose certificates Caddy obtains from an ACME server, and how. */
  readonly acme?: {
    readonly hosts: readonly string[];
    readonly email: string;
    /** The ACME directory URL. */
    readonly ca: string;
    /** The file in TLS_DIR with the ACME server's root certificate to trust (acmeRootFileName), when one is given. */
    readonly rootFile?: string;
  };
}

/** The plan of a service the proxy serves without TLS: setting its routes with it also drops their HTTPS redirects. */
export const NO_TLS: TlsPlan = { ports: [], hosts: [] };

/** What goes into the proxy container for HTTPS: the certificate files, and the root of a private ACME server. */
export interface TlsInstall {
  readonly files: readonly TlsFiles[];
  readonly acmeRoot?: Buffer;
  readonly plan?: TlsPlan;
}

/**
 * The file name in TLS_DIR of a private ACME server's root certificate (proxy.tls.acme.caRootFile):
 * named by a digest of its contents, so a new root changes the config and Caddy loads it.
 */
export function acmeRootFileName(root: Buffer): string {
  return `acme-ca-root-${createHash('sha256').update(root).digest('hex').slice(0, 12)}.pem`;
}

/**
 * Where Caddy keeps its ACME account, certificates and keys: XDG_DATA_HOME of the official caddy
 * image and of the test bed's. It is a named volume, so a re-created proxy keeps them and asks the
 * CA for nothing new (Let's Encrypt limits how many certificates a name gets per week).
 */
export const PROXY_DATA_DIR = '/data';

/** The named volume of the proxy's data: Greenlight never removes it. */
export function proxyDataVolume(container: string): string {
  return `${container}-data`;
}

/**
 * The config with `route` in place (replacing the route of the same id), on a server listening
 * on the route's port; every other route and server is kept as it was. `gracePeriodSeconds` is how
 * long Caddy lets requests in flight on the old config finish when it loads this one.
 */
export function withRoute(config: CaddyConfig | null | undefined, route: ProxyRoute, gracePeriodSeconds: number, tls?: TlsPlan): CaddyConfig {
  const c: CaddyConfig = structuredClone(config ?? {});
  c.apps ??= {};
  c.apps.http ??= {};
  const http = c.apps.http;
  http.grace_period = `${gracePeriodSeconds}s`;
  http.servers ??= {};
  const name = serverNameOf(route.port);
  const server = (http.servers[name] ??= { listen: [`:${route.port}`], routes: [] });
  server.automatic_https = { disable: true };
  // No HTTP/3: its UDP listener is not published, and a reload then only hands over TCP listeners.
  server.protocols = ['h1', 'h2'];
  // Setting a route also ends its maintenance, and drops the drain route an older Greenlight kept beside it.
  // Without a plan (a caller that does not read the TLS settings, such as recover) the route's HTTPS redirect stays as it was.
  const previousRedirect = ((server.routes ?? []) as Record<string, any>[]).find((x) => x['@id'] === `${route.id}${REDIRECT}`);
  const routes = ((server.routes ?? []) as Record<string, any>[]).filter((x) => x['@id'] !== route.id && x['@id'] !== `${route.id}-drain` && x['@id'] !== `${route.id}${MAINTENANCE}` && x['@id'] !== `${route.id}${REDIRECT}`);
  for (const other of routes.filter((x) => !isAuxiliary(x))) {
    const a = JSON.stringify(other.match ?? null);
    const b = JSON.stringify(caddyRoute(route).match ?? null);
    if (a === b) throw new OperationError(`the proxy on port ${route.port} already sends the same hosts and paths to ${String(other['@id'] ?? 'another route')}: give ${route.service} its own proxy.hosts or proxy.paths`);
  }
  // The redirect goes just before its route (the sort is stable and both match alike), on the plain-HTTP port only.
  const redirect = tls ? (tls.redirectTo !== undefined && !tls.ports.includes(route.port) && route.hosts.length ? redirectRoute(route, tls.redirectTo) : undefined) : previousRedirect;
  if (redirect) routes.push(redirect);
  routes.push(caddyRoute(route));
  routes.sort((x, y) => specificity(y) - specificity(x));
  server.routes = routes;
  if (tls?.ports.includes(route.port)) {
    // An empty policy turns TLS on for the listener; Caddy picks the loaded certificate by SNI.
    server.tls_connection_policies = [{}];
    c.apps.tls ??= {};
    c.apps.tls.certificates ??= {};
    const mine = tls.hosts.map((h) => ({ certificate: `${TLS_DIR}/${tlsFileNames(h).certificate}`, key: `${TLS_DIR}/${tlsFileNames(h).key}`, tags: ['greenlight', ...(tls.digests?.[h] ? [`greenlight-${tls.digests[h]}`] : [])] }));
    // Other projects' certificates on this proxy stay; this project's are replaced by their current files.
    const others = ((c.apps.tls.certificates.load_files ?? []) as { certificate: string }[]).filter((f) => !mine.some((m) => m.certificate === f.certificate));
    c.apps.tls.certificates.load_files = [...others, ...mine];
    if (tls.acme?.hosts.length) withAcme(c, tls.acme);
  }
  return c;
}

/**
 * Makes Caddy manage the certificates of the ACME host names itself: the "automate" loader names
 * them (automatic_https stays off on Greenlight's servers, so Caddy takes no names from the routes)
 * and an automation policy for exactly them says which ACME server issues them. Other projects'
 * names and policies on this proxy stay; these names leave any other policy.
 */
function withAcme(c: CaddyConfig, acme: NonNullable<TlsPlan['acme']>): void {
  const mine = new Set(acme.hosts);
  const tlsApp = c.apps.tls;
  tlsApp.certificates.automate = [...((tlsApp.certificates.automate ?? []) as string[]).filter((h) => !mine.has(h)), ...acme.hosts];
  tlsApp.automation ??= {};
  const policies = ((tlsApp.automation.policies ?? []) as Record<string, any>[])
    .map((p) => (Array.isArray(p.subjects) ? { ...p, subjects: (p.subjects as string[]).filter((h) => !mine.has(h)) } : p))
    .filter((p) => !Array.isArray(p.subjects) || p.subjects.length > 0);
  const issuer: Record<string, any> = { module: 'acme', ca: acme.ca, email: acme.email };
  if (acme.rootFile) issuer.trusted_roots_pem_files = [`${TLS_DIR}/${acme.rootFile}`];
  const policy: Record<string, any> = { subjects: [...acme.hosts], issuers: [issuer] };
  // A policy with subjects must come before one without (Caddy's catch-all): Caddy uses the first that matches.
  const at = policies.findIndex((p) => !Array.isArray(p.subjects));
  policies.splice(at < 0 ? policies.length : at, 0, policy);
  tlsApp.automation.policies = policies;
}

/** Where each route of the config sends its requests: route id → upstream, for the health view. */
export function routesOf(config: CaddyConfig | null | undefined): { id: string; port: string; hosts: string[]; paths: string[]; upstream: string; version?: string }[] {
  const out: { id: string; port: string; hosts: string[]; paths: string[]; upstream: string; version?: string }[] = [];
  for (const [name, server] of Object.entries((config?.apps?.http?.servers ?? {}) as Record<string, any>)) {
    for (const r of (server.routes ?? []) as Record<string, any>[]) {
      if (isAuxiliary(r)) continue;
      const h = r.handle?.[0];
      const dyn = h?.dynamic_upstreams as { name?: string; port?: string } | undefined;
      const upstream = dyn ? `${String(dyn.name)}:${String(dyn.port)}` : String(h?.upstreams?.[0]?.dial ?? '?');
      const m = (r.match?.[0] ?? {}) as { host?: string[]; path?: string[] };
      // caddyRoute matched "/api" as "/api" and "/api/*", and "/" as "/*": the prefixes the project wrote.
      const paths = [...new Set((m.path ?? []).map((p) => p.replace(/\/\*$/, '') || '/'))];
      out.push({ id: String(r['@id'] ?? '?'), port: name.replace(/^greenlight-/, ''), hosts: [...(m.host ?? [])], paths, upstream, version: h?.headers?.response?.set?.['X-Greenlight-Version']?.[0] });
    }
  }
  return out;
}

/** A JSON text of the value with every object's keys sorted: Caddy returns its config with its own key order. */
function canonical(v: unknown): string {
  return JSON.stringify(v ?? null, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x));
}

/** Caddy's count for one upstream (GET /reverse_proxy/upstreams). */
export interface UpstreamCount {
  readonly address: string;
  readonly num_requests: number;
  readonly fails: number;
}

/** One route of the proxy as the health view shows it: what it matches, where it sends, how that upstream fares. */
export interface ProxyRouteHealth {
  readonly id: string;
  readonly port: string;
  readonly hosts: readonly string[];
  readonly paths: readonly string[];
  /** "8080 shop.example.com/api": the port and what the route matches, as the view and the CLI print it (routeMatchLabel). */
  readonly match: string;
  readonly upstream: string;
  /** The version the route serves (absent for a swarm service's route, which names no version). */
  readonly version?: string;
  /** Requests in flight to the upstream now, and the failed requests Caddy counts against it (passive health). */
  readonly inFlight: number;
  readonly fails: number;
  /** The route answers with the maintenance page now. */
  readonly maintenance: boolean;
}

/** The host's proxy: its container's state and, when it runs, every route with its upstream's counts. */
export interface ProxyHealth {
  readonly container: string;
  readonly image: string;
  readonly running: boolean;
  /** Docker's state of the container ("running", "exited", "restarting"). */
  readonly state: string;
  readonly routes: readonly ProxyRouteHealth[];
  /** Why the routes could not be read (the admin API did not answer), when the container runs. */
  readonly problem?: string;
}

/** What a route's DNS name resolves to now, for the health view: the serving container's address on the proxy network and its version. */
export interface ResolvedName {
  readonly address: string;
  readonly version?: string;
}

/**
 * The routes of the config with their upstreams' counts. A route to a DNS name is counted at the
 * addresses Caddy resolved it to: on one host the serving container's (`resolved`, read from
 * Docker, which answers that name), plus the static upstream of the name Caddy falls back to; a
 * swarm route's `tasks.<service>` resolves to every task, so its counts are summed over the route's
 * port (the addresses no route names).
 */
export function routeHealthOf(config: CaddyConfig | null | undefined, upstreams: readonly UpstreamCount[], resolved: ReadonlyMap<string, ResolvedName> = new Map()): ProxyRouteHealth[] {
  const maintenance = new Set(inMaintenance(config));
  const dynamic = new Set<string>();
  for (const server of Object.values((config?.apps?.http?.servers ?? {}) as Record<string, any>)) {
    for (const r of (server.routes ?? []) as Record<string, any>[]) if (r.handle?.[0]?.dynamic_upstreams) dynamic.add(String(r['@id']));
  }
  const routes = routesOf(config);
  const dialled = new Set(routes.map((r) => r.upstream));
  return routes.map((r) => {
    const at = r.upstream.lastIndexOf(':');
    const port = r.upstream.slice(at + 1);
    const name = resolved.get(r.upstream.slice(0, at));
    const mine = !dynamic.has(r.id)
      ? upstreams.filter((u) => u.address === r.upstream)
      : name
        ? upstreams.filter((u) => u.address === `${name.address}:${port}` || u.address === r.upstream)
        : upstreams.filter((u) => !dialled.has(u.address) && u.address.endsWith(`:${port}`));
    return {
      ...r,
      ...(name?.version && !r.version ? { version: name.version } : {}),
      match: routeMatchLabel(r),
      inFlight: mine.reduce((n, u) => n + (u.num_requests || 0), 0),
      fails: mine.reduce((n, u) => n + (u.fails || 0), 0),
      maintenance: maintenance.has(r.id),
    };
  });
}


/** "8080 shop.example.com/api": the port and what the route matches (host and path prefix; none = any). */
export function routeMatchLabel(r: Pick<ProxyRouteHealth, 'port' | 'hosts' | 'paths'>): string {
  const hosts = r.hosts.length ? r.hosts.join(',') : '';
  const paths = r.paths.length ? r.paths.join(',') : '';
  return hosts || paths ? `${r.port} ${hosts}${paths}` : r.port;
}

export function portKey(p: Pick<PublishedPort, 'hostIp' | 'host'>): string {
  return `${p.hostIp ?? '0.0.0.0'}:${p.host}`;
}

/**
 * Docker's DNS asks the host's DNS server about a name it does not know, unless the container set
 * ndots: then it answers a single-label name it does not know at once (libnetwork's resolver). A
 * route's name is unknown for the moment a switch renames the containers; without this, a lookup in
 * that moment waited for the host's DNS server (5 s per try on a host whose server does not
 * answer, measured on the test bed) and held every request of the route behind it.
 */
const PROXY_DNS_OPTIONS = ['ndots:1'];

/** The proxy container: Caddy resuming its last config, the host ports published to the same port inside. */
export function proxySpec(cfg: ProxyConfig, ports: readonly Pick<PublishedPort, 'hostIp' | 'host'>[]): ContainerSpec {
  const sorted = [...new Map(ports.map((p) => [portKey(p), p])).values()].sort((a, b) => a.host - b.host);
  return {
    name: cfg.container,
    image: cfg.image,
    env: {},
    secretEnv: {},
    cmd: ['caddy', 'run', '--resume'],
    labels: { [LABEL.role]: 'proxy', [PROXY_LABEL.ports]: sorted.map(portKey).join(','), [PROXY_LABEL.dns]: PROXY_DNS_OPTIONS.join(' '), [PROXY_LABEL.data]: proxyDataVolume(cfg.container) },
    networkMode: 'bridge',
    networks: [{ name: cfg.network, aliases: [] }],
    publish: sorted.map((p) => ({ hostIp: p.hostIp, host: p.host, container: p.host, protocol: 'tcp' as const })),
    restart: 'unless-stopped',
    volumes: [`${proxyDataVolume(cfg.container)}:${PROXY_DATA_DIR}`],
    init: false,
    dnsOptions: PROXY_DNS_OPTIONS,
  };
}

function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  return { stream: new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(Buffer.from(c)), cb()) }), text: () => Buffer.concat(chunks).toString() };
}

type Docker = Pick<DockerEngine, 'exec' | 'putFiles' | 'inspectContainer' | 'createContainer' | 'startContainer' | 'removeContainer' | 'ensureNetwork' | 'inspectImage' | 'pullImage'>;

/** The proxy container on one host, driven through its admin API from inside it. */
export class Proxy {
  constructor(
    private readonly docker: Docker,
    readonly cfg: ProxyConfig,
    private readonly where: string,
    /** On a swarm manager the proxy network is an attachable overlay network, so the services' tasks on every node join it. */
    private readonly networkDriver: 'bridge' | 'overlay' = 'bridge',
  ) {}

  private async exec(argv: readonly string[]): Promise<{ code: number; out: string; err: string }> {
    const out = collector();
    const err = collector();
    const code = await this.docker.exec(this.cfg.container, argv, { stdout: out.stream, stderr: err.stream });
    return { code, out: out.text(), err: err.text() };
  }

  private async admin(method: 'GET' | 'POST', urlPath: string, body?: unknown): Promise<string> {
    // busybox wget is in the official caddy image (Alpine) and in the test bed's FROM-scratch one.
    const argv = ['/bin/busybox', 'wget', '-q', '-O', '-'];
    if (method === 'POST') argv.push('--header', 'Content-Type: application/json', '--post-data', JSON.stringify(body));
    argv.push(`${ADMIN}${urlPath}`);
    const r = await this.exec(argv);
    if (r.code !== 0) throw new OperationError(`proxy ${this.cfg.container} on ${this.where}: ${method} ${urlPath} failed: ${(r.err || r.out).trim() || `exit ${r.code}`}${method === 'POST' ? ' (Caddy refused the config; its log says why: docker logs ' + this.cfg.container + ')' : ''}`);
    return r.out;
  }

  async config(): Promise<CaddyConfig | null> {
    const text = (await this.admin('GET', '/config/')).trim();
    return text ? (JSON.parse(text) as CaddyConfig | null) : null;
  }

  /** Requests in flight per upstream, as Caddy counts them. */
  async upstreams(): Promise<UpstreamCount[]> {
    const text = (await this.admin('GET', '/reverse_proxy/upstreams')).trim();
    return text ? (JSON.parse(text) as UpstreamCount[] | null) ?? [] : [];
  }

  /**
   * The proxy's health view: its container's state and, when it runs, each route with the
   * requests in flight to its upstream and the fails Caddy counts. Undefined when the host has no
   * proxy container. An admin API that does not answer is a problem in the result, not an error.
   */
  async health(known?: Promise<CaddyConfig | null>): Promise<ProxyHealth | undefined> {
    const c = await this.docker.inspectContainer(this.cfg.container);
    if (!c) return undefined;
    const base = { container: this.cfg.container, image: c.image, running: c.stateDetail.running, state: c.stateDetail.status };
    if (!c.stateDetail.running) return { ...base, routes: [] };
    try {
      // A caller that already read the config (the status, for its service rows) passes it in.
      const [config, upstreams] = [await (known ?? this.config()), await this.upstreams()];
      return { ...base, routes: routeHealthOf(config, upstreams, await this.resolveNames(config)) };
    } catch (e) {
      return { ...base, routes: [], problem: errorMessage(e) };
    }
  }

  /** The routes' DNS names that are containers on this host (Docker's DNS answers them with the container's address on the proxy network). */
  private async resolveNames(config: CaddyConfig | null): Promise<Map<string, ResolvedName>> {
    const out = new Map<string, ResolvedName>();
    for (const r of routesOf(config)) {
      const name = r.upstream.slice(0, r.upstream.lastIndexOf(':'));
      if (out.has(name) || name.startsWith('tasks.')) continue;
      const c = await this.docker.inspectContainer(name);
      const address = c?.stateDetail.running ? c.stateDetail.addresses[this.cfg.network] : undefined;
      if (address) out.set(name, { address, version: c!.labels[LABEL.version] });
    }
    return out;
  }

  /** The proxy container, running, publishing `ports`; created (or re-created, keeping its routes) when it does not. */
  async ensure(ctx: JobContext, ports: readonly Pick<PublishedPort, 'hostIp' | 'host'>[], tls: TlsInstall = { files: [] }): Promise<{ created: boolean }> {
    if (await this.docker.ensureNetwork(this.cfg.network, { [LABEL.role]: 'proxy' }, this.networkDriver === 'overlay' ? { driver: 'overlay' } : undefined)) ctx.log(`proxy: created ${this.networkDriver === 'overlay' ? 'overlay ' : ''}network ${this.cfg.network} on ${this.where}`);
    let c = await this.docker.inspectContainer(this.cfg.container);
    const have = new Set((c?.labels[PROXY_LABEL.ports] ?? '').split(',').filter(Boolean));
    const missing = ports.filter((p) => !have.has(portKey(p)));
    if (c && missing.length === 0) {
      // Not re-created for it (that would pause every service behind it): it gets the option when it is next re-created.
      if (tls.plan?.acme && c.labels[PROXY_LABEL.data] !== proxyDataVolume(this.cfg.container)) ctx.log(`proxy: ${this.cfg.container} was created by an older Greenlight without the data volume ${proxyDataVolume(this.cfg.container)}: its ACME certificates are lost when it is re-created (and ordered again); remove the container (docker rm -f ${this.cfg.container}) at a quiet moment and the next deploy creates it with the volume`, 'warn');
      if (c.labels[PROXY_LABEL.dns] !== PROXY_DNS_OPTIONS.join(' ')) ctx.log(`proxy: ${this.cfg.container} was created by an older Greenlight without the resolver option ${PROXY_DNS_OPTIONS.join(' ')}: a switch may hold requests for as long as the host's DNS server takes to answer; remove the container (docker rm -f ${this.cfg.container}) at a quiet moment and the next deploy creates it with the option`, 'warn');
      if (!c.stateDetail.running) {
        await this.docker.startContainer(c.id);
        ctx.log(`proxy: started ${this.cfg.container} again`);
      }
      await this.waitAdmin();
      return { created: false };
    }
    let saved: CaddyConfig | null = null;
    if (c) {
      // A new host port can only be published by a new container: the routes move over to it.
      if (c.stateDetail.running) saved = await this.config().catch(() => null);
      ctx.log(`proxy: re-creating ${this.cfg.container} to publish ${missing.map(portKey).join(', ')} (services behind it pause for about a second)`, 'warn');
      await this.docker.removeContainer(c.id);
    }
    if (!(await this.docker.inspectImage(this.cfg.image))) {
      ctx.log(`proxy: pulling ${this.cfg.image} on ${this.where}`);
      await this.docker.pullImage(this.cfg.image, undefined, ctx.signal).catch((e: unknown) => {
        throw new OperationError(`proxy: the image ${this.cfg.image} is not on ${this.where} and could not be pulled (${errorMessage(e)}); set environments.<env>.proxy.image to one the host has, or proxy.enabled: false for the old swap`);
      });
    }
    const all = [...(c ? [...have].map((k) => ({ hostIp: k.slice(0, k.lastIndexOf(':')), host: Number(k.slice(k.lastIndexOf(':') + 1)) })) : []), ...missing];
    const id = await this.docker.createContainer(proxySpec(this.cfg, all));
    try {
      await this.docker.startContainer(id);
    } catch (e) {
      await this.docker.removeContainer(id).catch(() => undefined);
      throw new OperationError(`proxy: ${this.cfg.container} could not start on ${this.where} publishing ${all.map(portKey).join(', ')}: ${errorMessage(e)}`);
    }
    c = await this.docker.inspectContainer(id);
    await this.waitAdmin();
    // The saved config may load certificate files: the new container needs them before it loads it.
    await this.installCertificates(tls);
    if (saved) await this.admin('POST', '/load', saved);
    ctx.log(`proxy: ${this.cfg.container} (${this.cfg.image}) runs on ${this.where}, publishing ${all.map(portKey).join(', ')}`);
    return { created: true };
  }

  private async waitAdmin(): Promise<void> {
    const until = Date.now() + 15_000;
    for (;;) {
      try {
        await this.admin('GET', '/config/');
        return;
      } catch (e) {
        if (Date.now() > until) throw new OperationError(`proxy: Caddy's admin API in ${this.cfg.container} did not answer within 15 s: ${errorMessage(e)}`);
        await sleep(200);
      }
    }
  }

  /** Runs `change` with the host's proxy config lock held (several environments may share the proxy). */
  private async locked<T>(change: () => Promise<T>): Promise<T> {
    const until = Date.now() + 60_000;
    while ((await this.exec(['/bin/busybox', 'mkdir', LOCK_DIR])).code !== 0) {
      if (Date.now() > until) {
        // A holder that died mid-change left it: its change either loaded whole or not at all.
        await this.exec(['/bin/busybox', 'rmdir', LOCK_DIR]);
        continue;
      }
      await sleep(100);
    }
    try {
      return await change();
    } finally {
      await this.exec(['/bin/busybox', 'rmdir', LOCK_DIR]).catch(() => undefined);
    }
  }

  /**
   * Puts the route in the config. A route that is already there as asked loads nothing: a load is
   * a reload of Caddy, which closes every client's idle keep-alive connection (see the top of this
   * file). Otherwise Caddy loads the new config beside the old and returns once the requests in
   * flight on the old one finished (or grace_period passed).
   */
  async setRoute(route: ProxyRoute, tls?: TlsPlan): Promise<{ ms: number; loaded: boolean }> {
    return await this.locked(async () => {
      const t0 = Date.now();
      const now = await this.config();
      const next = withRoute(now, route, this.cfg.drainSeconds, tls);
      if (canonical(next) === canonical(now)) return { ms: Date.now() - t0, loaded: false };
      await this.admin('POST', '/load', next);
      return { ms: Date.now() - t0, loaded: true };
    });
  }

  /**
   * Copies the certificates and keys into the proxy container (TLS_DIR, mode 0700; keys 0600) over
   * the Docker API. Only the host names are logged, never a file's contents.
   */
  async installCertificates(tls: TlsInstall): Promise<void> {
    const files = tls.files.flatMap((f) => [
      { name: tlsFileNames(f.host).certificate, content: f.certificate, mode: 0o644 },
      { name: tlsFileNames(f.host).key, content: f.key, mode: 0o600 },
    ]);
    if (tls.acmeRoot) files.push({ name: acmeRootFileName(tls.acmeRoot), content: tls.acmeRoot, mode: 0o644 });
    if (!files.length) return;
    await this.docker.putFiles(this.cfg.container, TLS_DIR, files);
  }

  /** Puts the routes in maintenance (one config load); returns the ids the config had. */
  async setMaintenance(routeIds: readonly string[], page: string, retryAfterSeconds: number): Promise<string[]> {
    return await this.locked(async () => {
      const next = withMaintenance(await this.config(), routeIds, page, retryAfterSeconds);
      if (next.covered.length) await this.admin('POST', '/load', next.config);
      return next.covered;
    });
  }

  /** Ends the maintenance of the routes (a no-op for those not in maintenance). */
  async clearMaintenance(routeIds: readonly string[]): Promise<void> {
    await this.locked(async () => {
      const now = await this.config();
      if (!inMaintenance(now).some((id) => routeIds.includes(id))) return;
      await this.admin('POST', '/load', withoutMaintenance(now, routeIds));
    });
  }

  /** The upstream the route sends requests to now, if the route exists. */
  async routeUpstream(routeId: string): Promise<string | undefined> {
    return routesOf(await this.config()).find((r) => r.id === routeId)?.upstream;
  }

  /**
   * Waits until Caddy counts no request in flight to any of `addresses` (the old version's), at
   * most `seconds`; first `settleMs`, during which Caddy may still send new requests there (its
   * DNS answer of the route's name is that old).
   */
  async drain(addresses: readonly string[], seconds: number, settleMs = 0): Promise<{ drained: boolean; ms: number; inFlight: number }> {
    const t0 = Date.now();
    if (settleMs > 0) await sleep(settleMs);
    for (;;) {
      const inFlight = (await this.upstreams()).filter((x) => addresses.includes(x.address)).reduce((n, u) => n + (u.num_requests || 0), 0);
      if (inFlight === 0) return { drained: true, ms: Date.now() - t0, inFlight };
      if (Date.now() - t0 >= seconds * 1000) return { drained: false, ms: Date.now() - t0, inFlight };
      await sleep(100);
    }
  }
}

/** A drain's outcome as the deploy and rollback logs say it, with its log level. */
export function describeDrain(d: { drained: boolean; ms: number; inFlight: number }, version: string, seconds: number): { line: string; level: 'info' | 'warn' } {
  return d.drained
    ? { line: `drain: no request in flight on ${version} (${d.ms} ms)`, level: 'info' }
    : { line: `drain: ${d.inFlight} request(s) still in flight on ${version} after ${seconds} s; stopping it anyway`, level: 'warn' };
}
