// ESLint flat config. The one rule that carries the design: the engine (src/core) never imports
// `vscode`, so it stays usable from the CLI, the background service and plain mocha tests.
import tseslint from 'typescript-eslint';

// The engine's folders depend one way: deploy above backup and ship, those above images, migrate
// and lint, config and common at the bottom. Each folder lists the folders it must not import.
const LAYERS = {
  common: ['config', 'lint', 'migrate', 'images', 'ship', 'backup', 'deploy'],
  config: ['lint', 'migrate', 'images', 'ship', 'backup', 'deploy'],
  lint: ['migrate', 'images', 'ship', 'backup', 'deploy'],
  migrate: ['images', 'ship', 'backup', 'deploy'],
  images: ['ship', 'backup', 'deploy'],
  ship: ['backup', 'deploy'],
  backup: ['deploy'],
  deploy: [],
};
const ADAPTERS = ['src/core/**/*[aA]dapter*.ts', 'src/core/**/adapters/**'];
const VSCODE = { name: 'vscode', message: 'src/core must not import vscode: the engine runs outside the editor.' };
const DRIVERS = ['dockerode', 'ssh2', 'pg', 'arangojs'].map((name) => ({ name, message: 'Drivers are used only in adapter files.' }));

/** Relative imports that climb out of `folder` into a forbidden sibling (any depth: ../x/, ../../x/). */
function layerPatterns(folder, forbidden) {
  if (forbidden.length === 0) return [];
  return [{ regex: `^(\\.\\./)+(${forbidden.join('|')})/`, message: `src/core/${folder} sits below ${forbidden.join(', ')}: the engine's folders depend one way (deploy → backup/ship → images/migrate/lint → config/common).` }];
}

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.tools/**', 'test/fixtures/**', 'migrations/**', 'demo/**'] },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'media/src/**/*.ts', 'scripts/*.ts', 'scripts/bench/*.ts', 'scripts/realworld/*.ts'],
    languageOptions: { parser: tseslint.parser, parserOptions: { ecmaVersion: 2022, sourceType: 'module' } },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'No default exports: name what you export.' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-debugger': 'error',
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['src/core/**/*.ts', 'src/cli/**/*.ts', 'src/service/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'src/core, src/cli and src/service must not import vscode: the engine runs outside the editor.' }],
      }],
    },
  },
  // One block per src/core folder, twice: adapter files may use the drivers, the rest may not.
  ...Object.entries(LAYERS).flatMap(([folder, forbidden]) => [
    {
      files: [`src/core/${folder}/**/*.ts`],
      ignores: ADAPTERS,
      rules: { 'no-restricted-imports': ['error', { paths: [VSCODE, ...DRIVERS], patterns: layerPatterns(folder, forbidden) }] },
    },
    {
      files: ADAPTERS.map((a) => a.replace('src/core/**', `src/core/${folder}/**`)),
      rules: { 'no-restricted-imports': ['error', { paths: [VSCODE], patterns: layerPatterns(folder, forbidden) }] },
    },
  ]),
);
