// The CLI's version, in a module of its own so the small lint-only bundle (lintMain.ts) reports
// the same version as the full program without loading every other verb.
export const CLI_VERSION = '0.1.0';
