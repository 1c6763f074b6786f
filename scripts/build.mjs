// Builds the bundles with esbuild: the extension, the background service, the CLI and the lint
// worker (all cjs for Node) and the webview scripts (for the browser). Packages that load .wasm/.data files at run
// time are left external and copied whole into dist/node_modules, so the bundles find them next
// to themselves both in the checkout and inside the .vsix.
import * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** Packages with run-time assets (wasm, data files): external, copied into dist/node_modules. */
export const ASSET_PACKAGES = ['@electric-sql/pglite', 'libpg-query', '@ruby/prism', 'web-tree-sitter', 'tree-sitter-python', 'tree-sitter-javascript', 'tree-sitter-typescript'];
/** Optional native modules that must never be required at load time. */
const OPTIONAL_NATIVE = ['cpu-features', 'pg-native', './crypto/build/Release/sshcrypto.node'];

/**
 * Code the bundles would carry but never run, replaced by stubs: dockerode's BuildKit session
 * (gRPC, protobufjs; only used with `version: "2"` builds, which Greenlight never asks for: it
 * builds with the classic builder and reads progress with docker-modem) and zod's translated error
 * messages (every locale; zod keeps English built in). About 0.6 MB of every engine bundle.
 * A stub throws when touched, so a future use fails loudly instead of misbehaving.
 */
function unusedCode() {
  const stubbed = /^(@grpc\/grpc-js|@grpc\/proto-loader|protobufjs)$/;
  return {
    name: 'unused-code',
    setup(b) {
      b.onResolve({ filter: stubbed }, (args) => ({ path: args.path, namespace: 'greenlight-unused' }));
      b.onResolve({ filter: /^\.\.\/locales\/index\.c?js$/ }, (args) => (/[\\/]zod[\\/]/.test(args.importer) ? { path: 'zod-locales', namespace: 'greenlight-unused' } : undefined));
      b.onLoad({ filter: /.*/, namespace: 'greenlight-unused' }, (args) =>
        args.path === 'zod-locales'
          ? { contents: 'export {};', loader: 'js' }
          : {
              contents: `module.exports = new Proxy({}, { get(_, k) { if (typeof k === 'symbol' || k === '__esModule' || k === 'default') return undefined; throw new Error(${JSON.stringify(`${args.path} is not bundled with Greenlight (dockerode BuildKit sessions are not used)`)}); } });`,
              loader: 'js',
            },
      );
    },
  };
}

const node = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  external: ['vscode', ...ASSET_PACKAGES, ...OPTIONAL_NATIVE],
  // dockerode's ssh transport warns about ssh:// URLs on every call; that noise is not ours.
  define: { 'process.env.GREENLIGHT_BUNDLED': '"1"' },
  plugins: [unusedCode()],
};

/**
 * The lint CLI loads greenlight.yaml only when no paths are given, with a dynamic import; this
 * keeps that module (the YAML parser and the schema library, most of the bundle's size) in
 * dist/configLoad.js, so a run on explicit paths does not even compile it.
 */
function configLoaderApart() {
  return {
    name: 'config-loader-apart',
    setup(b) {
      b.onResolve({ filter: /[\\/]config[\\/]load$/ }, (args) => (args.kind === 'dynamic-import' ? { path: './configLoad.js', external: true } : undefined));
    },
  };
}

const builds = [
  { ...node, entryPoints: { extension: 'src/extension/main.ts' }, outdir: dist },
  { ...node, entryPoints: { service: 'src/service/main.ts' }, outdir: dist },
  // dist/cli.js only picks a bundle: `greenlight lint` loads cliLint.js (commander and the linter,
  // no drivers), every other verb cliAll.js. Lint files are parsed in worker threads running
  // lintWorker.js (the engine alone), loaded by the CLI and the service.
  { platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning', entryPoints: { cli: 'src/cli/dispatch.ts' }, outdir: dist, banner: { js: '#!/usr/bin/env node' } },
  { ...node, entryPoints: { cliAll: 'src/cli/main.ts' }, outdir: dist },
  // `supported: dynamic-import: false`: the config loader's import() becomes a require(); an
  // import() of a CommonJS file goes through the ESM loader, which scans the whole megabyte with
  // cjs-module-lexer first (60 ms of a run).
  { ...node, entryPoints: { cliLint: 'src/cli/lintMain.ts' }, outdir: dist, plugins: [unusedCode(), configLoaderApart()], supported: { 'dynamic-import': false } },
  { ...node, entryPoints: { configLoad: 'src/core/config/load.ts' }, outdir: dist },
  { ...node, entryPoints: { lintWorker: 'src/core/lint/pool/lintWorker.ts' }, outdir: dist },
];

const webviewDir = path.join(root, 'media/src');
if (existsSync(webviewDir)) {
  const entries = readdirSync(webviewDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  if (entries.length) {
    builds.push({
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      sourcemap: !production,
      minify: production,
      logLevel: 'warning',
      entryPoints: entries.map((f) => path.join('media/src', f)),
      outdir: path.join(root, 'media/dist'),
    });
  }
}

function copyAssetPackages() {
  const target = path.join(dist, 'node_modules');
  // Their own run-time dependencies go along (libpg-query re-exports @pgsql/types), except the
  // helpers of native bindings that are never loaded (only the wasm builds are used).
  const queue = [...ASSET_PACKAGES];
  const copied = new Set(['node-addon-api', 'node-gyp-build']);
  for (let pkg = queue.shift(); pkg; pkg = queue.shift()) {
    if (copied.has(pkg)) continue;
    copied.add(pkg);
    const src = path.join(root, 'node_modules', pkg);
    if (!existsSync(src)) continue;
    const manifest = JSON.parse(readFileSync(path.join(src, 'package.json'), 'utf8'));
    queue.push(...Object.keys(manifest.dependencies ?? {}));
    const dst = path.join(target, pkg);
    rmSync(dst, { recursive: true, force: true });
    mkdirSync(path.dirname(dst), { recursive: true });
    // Native build folders and sources are not needed: only the JS and wasm that run (a package
    // whose code lives in src/, like @ruby/prism, keeps src/).
    const skip = /^(\.\/)?src\//.test(String(manifest.main ?? '')) ? /[/\\](bindings|prebuilds|build|debug|test)([/\\]|$)/ : /[/\\](src|bindings|prebuilds|build|debug|test)([/\\]|$)/;
    // The TSX grammar is never loaded (migrations are .js/.ts), so its 1.4 MB stay out of the .vsix.
    cpSync(src, dst, { recursive: true, filter: (p) => !skip.test(p.slice(src.length)) && !p.endsWith('tree-sitter-tsx.wasm') && !(production && dropInProduction(pkg, p.slice(src.length + 1))) });
  }
}

/**
 * What a production build (vscode:prepublish) leaves out of dist/node_modules: source maps, type
 * declarations, docs and C sources nobody loads; the ESM copy of a package the bundles require()
 * as CommonJS (web-tree-sitter); and of PGlite everything but the one CommonJS entry the bundles
 * load and its wasm and data files (no contrib extensions: Greenlight loads none, no ESM chunks,
 * no node-postgres/worker/live builds). The vsix host run loads every package and runs PGlite.
 */
function dropInProduction(pkg, rel) {
  const p = rel.split(path.sep).join('/');
  if (p === '' || p === 'package.json' || /^LICEN[CS]E/i.test(p)) return false;
  if (/\.(map|d\.ts|d\.cts|d\.mts|md|c|h)$/i.test(p)) return true;
  if (pkg === '@electric-sql/pglite') return !(p === 'dist' || ['dist/index.cjs', 'dist/pglite.wasm', 'dist/pglite.data', 'dist/initdb.wasm'].includes(p));
  if (pkg === 'web-tree-sitter') return p === 'tree-sitter.js' || p === 'lib' || p.startsWith('lib/');
  return false;
}

/**
 * PGlite's file system image (pglite.data, unpacked into the in-memory file system at start) holds
 * files no Greenlight run opens: the extension build kit (pgxs: Makefiles and the regression-test
 * drivers), replication (libpqwalreceiver, pgoutput) and the conversion libraries between UTF-8 and
 * the East Asian client encodings (loaded only when a session sets such a client_encoding; migrations
 * are read as UTF-8). A production build repacks the image without them and rewrites the index the
 * loader reads (file name, start, end) in dist/index.cjs. The vsix host run starts PGlite from it.
 */
export const PGLITE_DROPPED = /^\/pglite\/lib\/postgresql\/(pgxs\/|libpqwalreceiver\.so$|pgoutput\.so$|utf8_and_(gb18030|euc2004|euc_tw|uhc|johab|euc_jp|gbk|sjis2004|big5|euc_kr|sjis|euc_cn)\.so$)/;

function trimPgliteData() {
  const dir = path.join(dist, 'node_modules/@electric-sql/pglite/dist');
  const jsFile = path.join(dir, 'index.cjs');
  const dataFile = path.join(dir, 'pglite.data');
  const js = readFileSync(jsFile, 'utf8');
  const data = readFileSync(dataFile);
  const index = /\{files:\[(\{filename:"[^"]*",start:\d+,end:\d+\}(?:,\{filename:"[^"]*",start:\d+,end:\d+\})*)\],remote_package_size:(\d+)\}/.exec(js);
  if (!index || Number(index[2]) !== data.length) throw new Error(`[build] pglite.data: its index in ${jsFile} was not found or does not match the file (${data.length} bytes); PGlite changed its packaging`);
  const files = [...index[1].matchAll(/\{filename:"([^"]*)",start:(\d+),end:(\d+)\}/g)].map((m) => ({ name: m[1], start: Number(m[2]), end: Number(m[3]) }));
  const kept = [];
  const parts = [];
  let at = 0;
  for (const f of files) {
    if (PGLITE_DROPPED.test(f.name)) continue;
    parts.push(data.subarray(f.start, f.end));
    kept.push(`{filename:${JSON.stringify(f.name)},start:${at},end:${at + f.end - f.start}}`);
    at += f.end - f.start;
  }
  if (kept.length === files.length) throw new Error('[build] pglite.data: none of the files to leave out is in it; PGlite changed its layout');
  writeFileSync(dataFile, Buffer.concat(parts));
  writeFileSync(jsFile, js.slice(0, index.index) + `{files:[${kept.join(',')}],remote_package_size:${at}}` + js.slice(index.index + index[0].length));
  console.log(`[build] pglite.data: ${files.length - kept.length} unused files left out, ${data.length} -> ${at} bytes`);
}

function writeJsonSchema() {
  // The JSON Schema for greenlight.yaml is generated from the zod schema, so they never disagree.
  return esbuild
    .build({ ...node, external: [], entryPoints: ['scripts/emitSchema.ts'], outfile: path.join(root, 'out/emitSchema.js'), sourcemap: false, logLevel: 'error' })
    .then(async () => {
      const { emitSchema } = await import(path.join(root, 'out/emitSchema.js'));
      const text = JSON.stringify(emitSchema(), null, 2) + '\n';
      mkdirSync(path.join(root, 'schemas'), { recursive: true });
      const file = path.join(root, 'schemas/greenlight.schema.json');
      if (!existsSync(file) || readFileSync(file, 'utf8') !== text) writeFileSync(file, text);
    });
}

const t0 = Date.now();
if (watch) {
  for (const b of builds) (await esbuild.context(b)).watch();
  console.log('[build] watching');
} else {
  await Promise.all([...builds.map((b) => esbuild.build(b)), writeJsonSchema()]);
  copyAssetPackages();
  if (production) trimPgliteData();
  console.log(`[build] dist/ written in ${Date.now() - t0} ms`);
}
