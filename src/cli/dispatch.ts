// The `greenlight` binary (dist/cli.js): `greenlight lint …` loads the small lint-only bundle,
// everything else the full program. Built without bundling, so it stays a few lines that load
// one of the two bundles next to it.
import * as path from 'node:path';

const lintOnly = process.argv[2] === 'lint' && !process.argv.slice(3).some((a) => a === '--help' || a === '-h');
require(path.join(__dirname, lintOnly ? 'cliLint.js' : 'cliAll.js'));
