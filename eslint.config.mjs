// ESLint flat config. The one rule that carries the design: the engine (src/core) never imports
// `vscode`, so it stays usable from the CLI, the background service and plain mocha tests.
import tseslint from 'typescript-eslint';

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
  {
    // Drivers are touched only in small adapter files (adapter*.ts / *Adapter.ts), so the rest of the engine is testable.
    files: ['src/core/**/*.ts'],
    ignores: ['src/core/**/*[aA]dapter*.ts', 'src/core/**/adapters/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          { name: 'vscode', message: 'src/core must not import vscode: the engine runs outside the editor.' },
          { name: 'dockerode', message: 'Drivers are used only in adapter files.' },
          { name: 'ssh2', message: 'Drivers are used only in adapter files.' },
          { name: 'pg', message: 'Drivers are used only in adapter files.' },
          { name: 'arangojs', message: 'Drivers are used only in adapter files.' },
        ],
      }],
    },
  },
);
