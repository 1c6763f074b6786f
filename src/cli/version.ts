// The CLI's version, read from package.json (the build bundles only that field), in a module of
// its own so the small lint-only bundle (lintMain.ts) reports the same version as the full
// program without loading every other verb.
import { version } from '../../package.json';

export const CLI_VERSION: string = version;
