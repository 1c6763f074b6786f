// Builds the small demo app images the ship/deploy/backup tests deploy: FROM scratch with the
// host's static busybox, an httpd on BIND:PORT, a CGI health endpoint that reports the version.
// Built on the host engine with --network none (no registry, no network at build time).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface AppImageOptions {
  /** HTTP status the health endpoint answers (default 200). */
  readonly healthStatus?: number;
  /** The health endpoint fails only when the app listens on this port (healthy beside the old version, failing after the swap). */
  readonly failOnPort?: number;
  /** Adds /cgi-bin/slow, which answers its version after this many seconds (a request in flight across a switch). */
  readonly slowSeconds?: number;
  /** Extra bytes baked into the image, to make shipping measurable. */
  readonly padBytes?: number;
}

const BUSYBOX = '/bin/busybox';

export function buildAppImage(tag: string, version: string, opts: AppImageOptions = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gl-app-'));
  try {
    copyFileSync(realpathSync(BUSYBOX), path.join(dir, 'busybox'));
    chmodSync(path.join(dir, 'busybox'), 0o755);
    mkdirSync(path.join(dir, 'www/cgi-bin'), { recursive: true });
    writeFileSync(path.join(dir, 'www/index.html'), `<h1>demo ${version}</h1>\n`);
    const status = opts.healthStatus ?? 200;
    const portCheck = opts.failOnPort ? `if [ "$PORT" = "${opts.failOnPort}" ]; then S=500; fi\n` : '';
    writeFileSync(
      path.join(dir, 'www/cgi-bin/health'),
      `#!/bin/busybox sh\nS=${status}\n${portCheck}echo "Status: $S"\necho "Content-Type: application/json"\necho ""\necho "{\\"status\\":$S,\\"version\\":\\"\${APP_VERSION:-unknown}\\"}"\n`,
    );
    chmodSync(path.join(dir, 'www/cgi-bin/health'), 0o755);
    if (opts.slowSeconds) {
      writeFileSync(path.join(dir, 'www/cgi-bin/slow'), `#!/bin/busybox sh\nsleep ${opts.slowSeconds}\necho "Status: 200"\necho "Content-Type: text/plain"\necho ""\necho "slow \${APP_VERSION:-unknown}"\n`);
      chmodSync(path.join(dir, 'www/cgi-bin/slow'), 0o755);
    }
    let pad = '';
    if (opts.padBytes) {
      writeFileSync(path.join(dir, 'pad.bin'), Buffer.alloc(opts.padBytes, version));
      pad = 'COPY pad.bin /pad.bin\n';
    }
    writeFileSync(
      path.join(dir, 'Dockerfile'),
      `FROM scratch\nCOPY busybox /bin/busybox\nCOPY www /www\n${pad}ARG APP_VERSION=dev\nENV APP_VERSION=$APP_VERSION PORT=18080 PATH=/bin\n` +
        `ENTRYPOINT ["/bin/busybox"]\nCMD ["sh","-c","exec /bin/busybox httpd -f -v -p \${BIND:-127.0.0.1}:\${PORT} -h /www"]\n`,
    );
    execFileSync('docker', ['build', '-q', '--network', 'none', '-t', tag, '--build-arg', `APP_VERSION=${version}`, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    return execFileSync('docker', ['image', 'inspect', '--format', '{{.Id}}', tag]).toString().trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The proxy image (Debian's caddy, FROM scratch) on the engine at dockerSock: built once, then reused; its tag. */
export function proxyImageOn(dockerSock: string): string {
  return execFileSync('bash', [path.resolve(__dirname, '../../testbed/proxyImage.sh'), '-H', `unix://${dockerSock}`], { encoding: 'utf8' }).trim().split(/\s+/)[0]!;
}

/** Removes a network of the engine at dockerSock if it is there (a suite's proxy network after its teardown). */
export function removeNetworkIfPresent(dockerSock: string, network: string): void {
  try {
    execFileSync('docker', ['-H', `unix://${dockerSock}`, 'network', 'rm', network], { stdio: 'ignore' });
  } catch {
    // Already gone.
  }
}
