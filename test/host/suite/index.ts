// The mocha loader the extension host calls (extensionTestsPath): it runs every *.test.js in the
// folder named by GREENLIGHT_HOST_SUITES (run.mjs sets it per run), so a new suite is just a new
// file in test/host/suite/. It prints one machine-readable stats line for the runner.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const dir = process.env.GREENLIGHT_HOST_SUITES ?? __dirname;
  const mocha = new Mocha({
    ui: 'tdd',
    color: false,
    reporter: 'spec',
    // Activation starts a separate service process; on a busy 2-core machine that can take seconds.
    timeout: 60_000,
    grep: process.env.GREENLIGHT_HOST_GREP || undefined,
  });
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  for (const f of files) mocha.addFile(path.join(dir, f));
  return new Promise((resolve, reject) => {
    if (files.length === 0) {
      reject(new Error(`no *.test.js in ${dir}`));
      return;
    }
    const runner = mocha.run((failures) => {
      const s = runner.stats ?? { passes: 0, failures, pending: 0 };
      console.log(`greenlight-host-stats ${JSON.stringify({ passes: s.passes, failures: s.failures, pending: s.pending })}`);
      if (failures > 0) reject(new Error(`${failures} extension-host test(s) failed`));
      else resolve();
    });
  });
}
