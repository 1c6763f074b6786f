// Where a rule's documentation page is. Every rule has docs/rules/<code>.md in the repository,
// and the page ships with the extension and the CLI package, so links point at the copy that
// matches the installed version and work offline: the repository URL of the manifest is not a
// public address, and a finding must never link to a page that does not exist for its version.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The docs page of a rule as a URI string, inside `docsDir` (the folder holding <code>.md). */
export function ruleDocsUri(code: string, docsDir: string): string {
  return pathToFileURL(path.join(docsDir, `${code}.md`)).toString();
}

/**
 * The docs/rules folder of the running Greenlight: found by walking up from this module (dist/ in
 * the bundles, src/core/lint/report in tests) to the package.json named "greenlight".
 */
export function installedRuleDocsDir(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'greenlight') return path.join(dir, 'docs', 'rules');
      } catch {
        // An unreadable manifest is not ours; keep walking up.
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(from, '..', 'docs', 'rules');
    dir = parent;
  }
}
