// Tells the Images view when images changed in the Docker engine outside Greenlight: a
// `docker rmi`, `docker tag` or `docker load` in a terminal changes what the view lists, and no
// file under .greenlight/ changes with it. The service follows the engine's image events for as
// long as it runs and turns a burst of them into one StateChangedNotification {area:'images'}.
// An engine that is down or restarts is retried with a growing pause, quietly: the view itself
// says when Docker cannot be reached.
import type { Connection } from 'vscode-languageserver/node';
import { localDocker } from '../core/images/adapters/dockerodeAdapter';
import type { DockerEngine } from '../core/images/docker';
import type { ServiceFeature } from './features';
import { StateChangedNotification } from './protocol';

export interface DockerImageEventsOptions {
  /** A build tags and untags within milliseconds, a `docker rmi` of several tags likewise. */
  readonly debounceMs?: number;
  /** The first pause after a failed or ended connection; it doubles up to maxRetryMs. */
  readonly retryMs?: number;
  readonly maxRetryMs?: number;
  readonly engine?: () => DockerEngine;
}

export function dockerImageEvents(connection: Connection, opts: DockerImageEventsOptions = {}): ServiceFeature {
  const debounceMs = opts.debounceMs ?? 250;
  const retryMs = opts.retryMs ?? 2000;
  const maxRetryMs = opts.maxRetryMs ?? 60_000;
  const engine = opts.engine ?? (() => localDocker());
  const stop = new AbortController();
  let timer: NodeJS.Timeout | undefined;

  const changed = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => void connection.sendNotification(StateChangedNotification, { area: 'images' }), debounceMs);
  };

  const follow = async (): Promise<void> => {
    let pause = retryMs;
    const docker = engine();
    while (!stop.signal.aborted) {
      let heard = false;
      try {
        await docker.watchImageEvents(() => {
          heard = true;
          pause = retryMs;
          changed();
        }, stop.signal);
      } catch {
        // Docker is down or not installed: the Images view shows that when it lists.
      }
      if (stop.signal.aborted) return;
      if (!heard) pause = Math.min(pause * 2, maxRetryMs);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, pause);
        t.unref();
        stop.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    }
  };

  return {
    capabilities: {},
    initialize: () => undefined,
    initialized: () => void follow(),
    dispose: () => {
      stop.abort();
      clearTimeout(timer);
    },
  };
}
