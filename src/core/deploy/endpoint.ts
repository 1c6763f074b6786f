// Where a health probe reaches a service's container, as seen from the host it runs on. The rule
// is one for deploy, rollback and status, so they all probe the same thing:
//   - host networking: the environment's service address, on the port the container listens on;
//   - bridge networking, the serving version with a published port: that port on the host, the
//     path users' traffic takes;
//   - bridge networking otherwise (a candidate, or nothing published): the container's own
//     address on its first network, which the host can reach directly.
import { OperationError } from '../common/errors';
import { networkModeOf, type EnvironmentConfig, type ServiceConfig } from '../config/schema';
import type { DockerEngine } from '../images/docker';
import type { HealthOptions } from './health';
import { listenPortOf } from './plan';

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

export async function endpointOf(
  docker: Pick<DockerEngine, 'inspectContainer'>,
  env: { readonly env: EnvironmentConfig; readonly serviceAddress: string },
  service: ServiceConfig,
  containerId: string,
  role: 'serving' | 'candidate',
): Promise<Endpoint> {
  const port = listenPortOf(service, env.env, role);
  if (networkModeOf(service) === 'host') return { address: env.serviceAddress, port };
  if (role === 'serving') {
    const published = service.publish.find((p) => p.container === service.port && p.protocol === 'tcp');
    if (published) return { address: !published.hostIp || published.hostIp === '0.0.0.0' ? '127.0.0.1' : published.hostIp, port: published.host };
  }
  const c = await docker.inspectContainer(containerId);
  const addresses = c?.stateDetail.addresses ?? {};
  const address = service.networks.map((n) => addresses[n.name]).find((a) => !!a) ?? Object.values(addresses)[0];
  if (!address) throw new OperationError(`container ${c?.name ?? containerId} has no network address to probe (is it running?)`);
  return { address, port };
}

/** The health options of a service at an endpoint. */
export function healthAt(service: ServiceConfig, at: Endpoint, containerId: string): HealthOptions {
  return {
    address: at.address,
    port: at.port,
    path: service.health.path,
    timeoutSeconds: service.health.timeoutSeconds,
    intervalMs: service.health.intervalMs,
    hostHeader: service.health.host,
    statuses: service.health.statuses,
    containerId,
  };
}
