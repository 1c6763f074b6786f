// The user's own certificate files for the proxy's HTTPS ports: which host names of a service need
// one, read and checked on the developer's machine before a deploy or rollback changes anything.
// The files go into the proxy container through Proxy.installCertificates (src/core/deploy/proxy.ts);
// host names without files get automatic certificates from proxy.tls.acme (Caddy's ACME issuer).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { InputError, errorMessage } from '../common/errors';
import { proxyRouteOf, type ServiceConfig } from '../config/schema';
import type { ResolvedEnvironment } from './environment';
import { acmeRootFileName, type TlsFiles, type TlsInstall, type TlsPlan } from './proxy';

/** Whether `pattern` ("shop.example.com", "*.example.com") is a certificate name that covers `host`. */
export function certificateCovers(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (p === h) return true;
  if (!p.startsWith('*.')) return false;
  const rest = h.slice(h.indexOf('.') + 1);
  return h.indexOf('.') > 0 && rest === p.slice(2) && !h.startsWith('*');
}

/**
 * The certificate files of a service the proxy serves over HTTPS (it publishes one of
 * proxy.tls.ports), read before anything changes; undefined when it publishes none. Every host
 * name of its route needs a certificate: a TLS listener without one would fail every handshake.
 * A name no certificate file covers gets an automatic one from proxy.tls.acme when it is set.
 */
export async function tlsPlanOf(service: ServiceConfig, env: ResolvedEnvironment): Promise<({ plan: TlsPlan } & TlsInstall) | undefined> {
  const tls = env.env.proxy.tls;
  const route = proxyRouteOf(service, env.env);
  if (!tls || !route) return undefined;
  const tlsPorts = service.publish.filter((p) => p.protocol === 'tcp' && tls.ports.includes(p.host)).map((p) => p.host);
  if (!tlsPorts.length) return undefined;
  const where = `environments.${env.name}.proxy.tls`;
  if (!route.hosts.length) throw new InputError(`${service.name} publishes ${tlsPorts.join(', ')}, a port of ${where}.ports, but names no proxy.hosts: HTTPS needs the host names its certificates are for (services[].proxy.hosts)`);
  const names = Object.keys(tls.certificates);
  const used = new Set<string>();
  const automatic: string[] = [];
  for (const h of route.hosts) {
    // Own files win: a host name they cover is never sent to the ACME server.
    const name = names.find((n) => n.toLowerCase() === h.toLowerCase()) ?? names.find((n) => certificateCovers(n, h));
    if (name) {
      used.add(name);
      continue;
    }
    if (!tls.acme) throw new InputError(`${service.name} answers HTTPS on port ${tlsPorts.join(', ')} for ${h}, but ${where}.certificates has no certificate for it (have: ${names.join(', ') || 'none'}) and ${where}.acme is not set`);
    if (h.startsWith('*')) throw new InputError(`${service.name} answers HTTPS for ${h}: a wildcard name needs the ACME DNS-01 challenge, which ${where}.acme does not do; give it your own certificate files (${where}.certificates["${h}"])`);
    automatic.push(h.toLowerCase());
  }
  const files: TlsFiles[] = [];
  for (const name of used) {
    const c = tls.certificates[name]!;
    files.push({ host: name, certificate: await readPem(env, `${where}.certificates["${name}"].certificate`, c.certificate, 'certificate'), key: await readPem(env, `${where}.certificates["${name}"].key`, c.key, 'key') });
  }
  const digests = Object.fromEntries(files.map((f) => [f.host, createHash('sha256').update(f.certificate).update(f.key).digest('hex').slice(0, 12)]));
  let acme: TlsPlan['acme'];
  let acmeRoot: Buffer | undefined;
  if (automatic.length && tls.acme) {
    if (tls.acme.caRootFile) acmeRoot = await readPem(env, `${where}.acme.caRootFile`, tls.acme.caRootFile, 'certificate');
    acme = { hosts: automatic, email: tls.acme.email, ca: tls.acme.ca, ...(acmeRoot ? { rootFile: acmeRootFileName(acmeRoot) } : {}) };
  }
  // A service publishing plain ports beside its TLS ones sends their requests to HTTPS, to 443 when it publishes that.
  const plain = service.publish.some((p) => p.protocol === 'tcp' && !tls.ports.includes(p.host));
  const redirectTo = tls.redirect && plain ? (tlsPorts.includes(443) ? 443 : tlsPorts[0]) : undefined;
  return { plan: { ports: tls.ports, hosts: [...used], digests, ...(redirectTo !== undefined ? { redirectTo } : {}), ...(acme ? { acme } : {}) }, files, ...(acmeRoot ? { acmeRoot } : {}) };
}

/** A PEM file of the project, read and checked for its BEGIN line; `setting` names where it was configured. */
async function readPem(env: ResolvedEnvironment, setting: string, file: string, what: 'certificate' | 'key'): Promise<Buffer> {
  const abs = path.resolve(env.root, file);
  let b: Buffer;
  try {
    b = await readFile(abs);
  } catch (e) {
    throw new InputError(`${setting}: cannot read ${abs}: ${errorMessage(e)}`);
  }
  const marker = what === 'key' ? /-----BEGIN [A-Z ]*PRIVATE KEY-----/ : /-----BEGIN CERTIFICATE-----/;
  if (!marker.test(b.toString('latin1'))) throw new InputError(`${setting}: ${abs} is not a PEM ${what === 'key' ? 'private key' : 'certificate'} (no "-----BEGIN ${what === 'key' ? '… PRIVATE KEY' : 'CERTIFICATE'}-----" line)`);
  return b;
}
