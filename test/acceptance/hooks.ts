// Root hooks of the acceptance layer: the suites drive the CLI bundle, so it is built once from
// the working tree first (a stale dist/ would test yesterday's code).
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { bed } from '../integration/deploy/bed';
import { removeProdProxy } from './harness';

export const mochaHooks = {
  beforeAll(this: Mocha.Context): void {
    this.timeout(120_000);
    execFileSync(process.execPath, [path.resolve(__dirname, '../../scripts/build.mjs')], { stdio: 'inherit' });
  },
  // The suites' services deployed behind the host's proxy; it goes with them.
  afterAll(): void {
    removeProdProxy(bed());
  },
};
