// Lint diagnostics in the language server. Open migration and seed files are linted as they
// change (after a short quiet time, so a half-typed word does not flash a parse error), and every
// file under the configured paths is linted from disk at start, so the Problems panel shows the
// whole project before anything is opened. Quick fixes: the rule's own fix, and comments that
// ignore a code for one statement or for the file. Settings (`greenlight.lint.*`) apply live.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CodeActionKind,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  FileChangeType,
  type ClientCapabilities,
  type CodeAction,
  type CodeActionParams,
  type Connection,
  type Disposable,
  type FileSystemWatcher,
  type TextDocuments,
  type TextEdit as LspTextEdit,
} from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { CONFIG_FILE_NAME } from '../core/config/load';
import { createDefaultLinter } from '../core/lint/defaultLinter';
import type { AnyLanguage, Linter } from '../core/lint/engine';
import { mergeLintOptions } from '../core/lint/projectLintConfig';
import { installedRuleDocsDir, ruleDocsUri } from '../core/lint/report/docs';
import { PARSE_ERROR_CODE, type Finding, type LintResult, type ParseResult, type TextEdit } from '../core/lint/types';
import { collectLintFiles, CONVENTIONAL_LINT_PATHS, LintPathMatcher, resolveLintTargets, type LintTargets } from '../core/lint/workspace';
import type { ServiceFeature } from './features';
import { DEFAULT_LINT_SETTINGS, lintOptionsOf, parseLintSettings, type LintSettings } from './lint/settings';
import { ignoreFileEdit, ignoreStatementEdit } from './lint/suppressionEdits';
import { toDiagnostic } from './lint/toDiagnostic';

export interface LintFeatureOptions {
  /** The linter to use (tests pass one with a test language). */
  readonly createLinter?: () => Linter;
  /** Folder holding docs/rules/<code>.md; default: the running Greenlight's. */
  readonly docsDir?: string;
}

interface Folder {
  readonly root: string;
  readonly uri: string;
  settings: LintSettings;
  targets: LintTargets;
  matcher: LintPathMatcher;
}

interface OpenState {
  /** Bumped on every change; a lint whose generation is stale is dropped. */
  generation: number;
  /** The version linted by the open event (the change event that follows it is skipped). */
  openedVersion?: number;
  result?: { readonly version: number; readonly lint: LintResult };
  parsed?: { readonly version: number; readonly language: AnyLanguage; readonly parse: ParseResult<unknown> };
}

/** What an "ignore for this statement" action carries until codeAction/resolve computes its edit. */
interface StatementIgnoreData {
  readonly uri: string;
  readonly version: number;
  readonly code: string;
  readonly offset: number;
}

/** Where migrations and seeds are found when a file is opened outside any workspace folder. */
const LOOSE_FILE_MATCHER = new LintPathMatcher({ root: '/', patterns: ['**/migrations', '**/db/migration', '**/db/migrate', '**/db/seeds.rb', '**/db/seeds'] });

export function lintDiagnostics(connection: Connection, documents: TextDocuments<TextDocument>, options: LintFeatureOptions = {}): ServiceFeature {
  const linter = (options.createLinter ?? createDefaultLinter)();
  const docsDir = options.docsDir ?? installedRuleDocsDir();
  const docsExist = new Map<string, boolean>();
  // A code links to its page only when the page exists: a dead link is worse than none.
  const docsHref = (code: string): string | undefined => {
    let ok = docsExist.get(code);
    if (ok === undefined) docsExist.set(code, (ok = existsSync(path.join(docsDir, `${code}.md`))));
    return ok ? ruleDocsUri(code, docsDir) : undefined;
  };

  let folders: Folder[] = [];
  let capabilities: ClientCapabilities = {};
  /** The client asks codeAction/resolve for edits (VS Code does). */
  let resolvesEdits = false;
  let initSettings: unknown;
  /** Resolves once settings and greenlight.yaml have been read: open files wait for it. */
  let configured: Promise<void> = Promise.resolve();
  let releaseConfigured: (() => void) | undefined;
  let refreshSeq = 0;
  const open = new Map<string, OpenState>();
  const timers = new Map<string, NodeJS.Timeout>();
  /** Files whose diagnostics came from disk (not open), so they can be cleared when targets change. */
  let fromDisk = new Set<string>();
  /** Every uri that currently has lint diagnostics published. */
  const published = new Set<string>();
  let watcherRegistration: Disposable | undefined;

  const log = (m: string): void => connection.console.log(`[lint] ${m}`);

  const folderFor = (file: string): Folder | undefined => {
    let best: Folder | undefined;
    for (const f of folders) {
      const rel = path.relative(f.root, file);
      if (!rel.startsWith('..') && !path.isAbsolute(rel) && (!best || f.root.length > best.root.length)) best = f;
    }
    return best;
  };
  const settingsFor = (file: string): LintSettings => folderFor(file)?.settings ?? folders[0]?.settings ?? DEFAULT_LINT_SETTINGS;
  const isTarget = (file: string): boolean => {
    const f = folderFor(file);
    if (f) return f.matcher.matches(file);
    return folders.length === 0 && LOOSE_FILE_MATCHER.matches(file);
  };

  const publish = (uri: string, result: LintResult, version?: number): void => {
    const diagnostics = result.findings.map((f) => toDiagnostic(f, docsHref));
    if (diagnostics.length) published.add(uri);
    else published.delete(uri);
    void connection.sendDiagnostics({ uri, version, diagnostics });
  };
  const clear = (uri: string): void => {
    if (!published.delete(uri)) return;
    void connection.sendDiagnostics({ uri, diagnostics: [] });
  };

  const lintText = async (file: string, text: string): Promise<LintResult | undefined> => {
    const settings = settingsFor(file);
    if (!settings.enable || !isTarget(file)) return undefined;
    // greenlight.yaml's lint rules first (the same as CI), the editor's settings on top.
    return linter.lint(file, text, mergeLintOptions(folderFor(file)?.targets.options ?? {}, lintOptionsOf(settings)));
  };

  const stateOf = (uri: string): OpenState => {
    let s = open.get(uri);
    if (!s) open.set(uri, (s = { generation: 0 }));
    return s;
  };

  /** Lints an open document now and publishes, unless it changed meanwhile. */
  const lintOpen = async (doc: TextDocument): Promise<LintResult | undefined> => {
    const uri = doc.uri;
    if (!uri.startsWith('file:')) return undefined;
    const state = stateOf(uri);
    const generation = ++state.generation;
    await configured;
    const version = doc.version;
    const text = doc.getText();
    let result: LintResult | undefined;
    try {
      result = await lintText(fileURLToPath(uri), text);
    } catch (e) {
      log(`${uri}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      return undefined;
    }
    if (state.generation !== generation || open.get(uri) !== state) return undefined;
    fromDisk.delete(uri);
    if (!result) {
      state.result = undefined;
      clear(uri);
      return undefined;
    }
    state.result = { version, lint: result };
    publish(uri, result, version);
    return result;
  };

  const schedule = (doc: TextDocument): void => {
    const uri = doc.uri;
    clearTimeout(timers.get(uri));
    stateOf(uri).generation++;
    const delay = settingsFor(uri.startsWith('file:') ? fileURLToPath(uri) : uri).debounceMs;
    timers.set(
      uri,
      setTimeout(() => {
        timers.delete(uri);
        const current = documents.get(uri);
        if (current) void lintOpen(current);
      }, delay),
    );
  };

  const lintFromDisk = async (file: string): Promise<void> => {
    const uri = pathToFileURL(file).toString();
    if (documents.get(uri)) return; // the open document is the truth while it is being edited
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      fromDisk.delete(uri);
      clear(uri);
      return;
    }
    const result = await lintText(file, text).catch((e: unknown) => {
      log(`${file}: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    });
    if (documents.get(uri)) return;
    if (!result) {
      fromDisk.delete(uri);
      clear(uri);
      return;
    }
    fromDisk.add(uri);
    publish(uri, result);
  };

  const pullSettings = async (): Promise<LintSettings[]> => {
    const warn = (m: string): void => log(m);
    if (capabilities.workspace?.configuration && folders.length) {
      try {
        const raw: unknown[] = await connection.workspace.getConfiguration(folders.map((f) => ({ scopeUri: f.uri, section: 'greenlight.lint' })));
        return raw.map((r) => parseLintSettings(r, warn));
      } catch (e) {
        log(`could not read settings: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const fromInit = (initSettings as { lint?: unknown } | undefined)?.lint;
    return folders.map(() => parseLintSettings(fromInit, warn));
  };

  const registerWatchers = async (): Promise<void> => {
    if (!capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration) return;
    const relative = capabilities.workspace.didChangeWatchedFiles.relativePatternSupport === true;
    const watchers: FileSystemWatcher[] = [];
    for (const f of folders) {
      for (const p of f.targets.patterns) {
        const pattern = /[*?{[]/.test(p) ? p : `{${p},${p}/**}`;
        watchers.push({ globPattern: relative ? { baseUri: f.uri, pattern } : path.posix.join(f.root.split(path.sep).join('/'), pattern) });
      }
      watchers.push({ globPattern: relative ? { baseUri: f.uri, pattern: CONFIG_FILE_NAME } : path.posix.join(f.root.split(path.sep).join('/'), CONFIG_FILE_NAME) });
    }
    const previous = watcherRegistration;
    watcherRegistration = await connection.client.register(DidChangeWatchedFilesNotification.type, { watchers });
    previous?.dispose();
  };

  /** Re-reads settings and greenlight.yaml, re-lints the configured paths from disk and every open file. */
  const refresh = async (): Promise<void> => {
    const seq = ++refreshSeq;
    try {
      const settings = await pullSettings();
      const next: Folder[] = [];
      for (let i = 0; i < folders.length; i++) {
        const f = folders[i]!;
        const s = settings[i] ?? DEFAULT_LINT_SETTINGS;
        const targets = await resolveLintTargets(f.root, s.paths);
        next.push({ ...f, settings: s, targets, matcher: new LintPathMatcher(targets) });
      }
      if (seq !== refreshSeq) return;
      folders = next;
    } finally {
      releaseConfigured?.();
      releaseConfigured = undefined;
    }
    void registerWatchers().catch((e: unknown) => log(`could not watch the lint paths: ${e instanceof Error ? e.message : String(e)}`));
    for (const d of documents.all()) void lintOpen(d);
    const previous = fromDisk;
    fromDisk = new Set();
    const t0 = Date.now();
    let count = 0;
    for (const f of folders) {
      if (!f.settings.enable) continue;
      const { files, truncated } = await collectLintFiles(f.root, f.targets.patterns);
      if (truncated) log(`${f.root}: more than ${files.length} files under the lint paths; only the first ${files.length} are checked`);
      for (const file of files) {
        if (seq !== refreshSeq) return;
        await lintFromDisk(file);
        count++;
        // Let edits of open files be served between files of a large scan.
        await new Promise((r) => setImmediate(r));
      }
    }
    for (const uri of previous) if (!fromDisk.has(uri) && !documents.get(uri)) clear(uri);
    log(`checked ${count} file${count === 1 ? '' : 's'} under ${folders.map((f) => `${f.targets.patterns.join(', ')} (${f.targets.origin === 'config' ? CONFIG_FILE_NAME : 'conventional paths'})`).join('; ') || 'no folder'} in ${Date.now() - t0} ms`);
  };
  const startRefresh = (): void => {
    void refresh().catch((e: unknown) => log(`refresh failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));
  };

  documents.onDidOpen((e) => {
    clearTimeout(timers.get(e.document.uri));
    timers.delete(e.document.uri);
    stateOf(e.document.uri).openedVersion = e.document.version;
    void lintOpen(e.document);
  });
  documents.onDidChangeContent((e) => {
    // The open event already linted this version; later versions wait for a quiet moment.
    if (open.get(e.document.uri)?.openedVersion === e.document.version) return;
    schedule(e.document);
  });
  documents.onDidClose((e) => {
    const uri = e.document.uri;
    clearTimeout(timers.get(uri));
    timers.delete(uri);
    open.delete(uri);
    if (!uri.startsWith('file:')) return clear(uri);
    // A closed file keeps the diagnostics of its saved state, like the rest of the project.
    void lintFromDisk(fileURLToPath(uri));
  });

  connection.onDidChangeConfiguration(() => startRefresh());
  connection.onDidChangeWatchedFiles((e) => {
    let configChanged = false;
    for (const c of e.changes) {
      if (!c.uri.startsWith('file:')) continue;
      const file = fileURLToPath(c.uri);
      if (path.basename(file) === CONFIG_FILE_NAME) {
        configChanged = true;
        continue;
      }
      if (c.type === FileChangeType.Deleted) {
        // A deleted folder arrives as one event: clear everything below it.
        for (const uri of [...fromDisk]) {
          const p = fileURLToPath(uri);
          if (p === file || p.startsWith(file + path.sep)) {
            fromDisk.delete(uri);
            clear(uri);
          }
        }
      } else if (isTarget(file)) void lintFromDisk(file);
    }
    if (configChanged) startRefresh();
  });

  connection.onCodeAction((params) => codeActions(params));

  const parsedFor = async (doc: TextDocument, state: OpenState, language: AnyLanguage): Promise<ParseResult<unknown>> => {
    if (state.parsed?.version === doc.version && state.parsed.language === language) return state.parsed.parse;
    const parse = await language.parse(doc.getText(), fileURLToPath(doc.uri)).catch((e: unknown) => ({ ok: false as const, start: 0, end: 0, message: String(e) }));
    state.parsed = { version: doc.version, language, parse };
    return parse;
  };

  const versioned = (doc: TextDocument, edits: readonly TextEdit[]): CodeAction['edit'] => ({
    documentChanges: [{ textDocument: { uri: doc.uri, version: doc.version }, edits: edits.map((e): LspTextEdit => ({ range: { start: doc.positionAt(e.start), end: doc.positionAt(e.end) }, newText: e.newText })) }],
  });

  const statementIgnore = async (doc: TextDocument, state: OpenState, language: AnyLanguage, offset: number, code: string): Promise<TextEdit | undefined> => {
    const parsed = await parsedFor(doc, state, language);
    return parsed.ok ? ignoreStatementEdit(doc.getText(), language.lineComment, parsed.statements, offset, code) : undefined;
  };

  connection.onCodeActionResolve(async (action) => {
    const data = action.data as StatementIgnoreData | undefined;
    if (!data || action.edit) return action;
    const doc = documents.get(data.uri);
    // The document changed since the lightbulb was shown: no edit rather than one in the wrong place.
    if (!doc || doc.version !== data.version) return action;
    const language = linter.languageFor(fileURLToPath(doc.uri), doc.getText());
    if (!language) return action;
    const edit = await statementIgnore(doc, stateOf(doc.uri), language, data.offset, data.code);
    return edit ? { ...action, edit: versioned(doc, [edit]) } : action;
  });

  async function codeActions(params: CodeActionParams): Promise<CodeAction[]> {
    const uri = params.textDocument.uri;
    const doc = documents.get(uri);
    if (!doc || !uri.startsWith('file:')) return [];
    const only = params.context.only;
    if (only && !only.some((k) => CodeActionKind.QuickFix.startsWith(k) || k.startsWith(CodeActionKind.QuickFix))) return [];
    const ours = params.context.diagnostics.filter((d) => d.source === 'greenlight' && typeof d.code === 'string' && d.code !== 'config');
    if (ours.length === 0) return [];
    const state = stateOf(uri);
    // Fixes are computed on the current text: re-lint if the published diagnostics are older.
    let result = state.result?.version === doc.version ? state.result.lint : undefined;
    if (!result) result = await lintOpen(doc);
    if (!result || documents.get(uri)?.version !== doc.version) return [];
    const text = doc.getText();
    const file = fileURLToPath(uri);
    const language = linter.languageFor(file, text);
    if (!language) return [];
    const actions: CodeAction[] = [];
    const fileWide = new Set<string>();
    for (const d of ours) {
      const code = String(d.code);
      const at = doc.offsetAt(d.range.start);
      const finding: Finding | undefined =
        result.findings.find((f) => f.code === code && f.start === at) ??
        result.findings.find((f) => f.code === code && f.start <= doc.offsetAt(d.range.end) && f.end >= at);
      if (!finding) continue;
      if (finding.fix) {
        actions.push({ title: finding.fix.title, kind: CodeActionKind.QuickFix, diagnostics: [d], isPreferred: true, edit: versioned(doc, finding.fix.edits) });
      }
      // A file that does not parse has no statements to attach a directive to, and the parse
      // error itself cannot be suppressed (nothing else could be checked).
      if (code === PARSE_ERROR_CODE || code === 'internal-error') continue;
      const title = `Ignore ${code} for this statement`;
      if (resolvesEdits && language.lineComment) {
        // Finding the statement means parsing the file again; the lightbulb asks for actions on
        // every cursor move, so the edit is computed only when this action is picked.
        const data: StatementIgnoreData = { uri, version: doc.version, code, offset: finding.start };
        actions.push({ title, kind: CodeActionKind.QuickFix, diagnostics: [d], data });
      } else {
        const edit = await statementIgnore(doc, state, language, finding.start, code);
        if (edit) actions.push({ title, kind: CodeActionKind.QuickFix, diagnostics: [d], edit: versioned(doc, [edit]) });
      }
      if (!fileWide.has(code)) {
        fileWide.add(code);
        const edit = ignoreFileEdit(text, language.lineComment, code);
        const same = ours.filter((o) => o.code === code);
        if (edit) actions.push({ title: `Ignore ${code} for this file`, kind: CodeActionKind.QuickFix, diagnostics: same, edit: versioned(doc, [edit]) });
      }
    }
    return actions;
  }

  return {
    capabilities: { codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix], resolveProvider: true } },
    initialize(params) {
      capabilities = params.capabilities;
      resolvesEdits = params.capabilities.textDocument?.codeAction?.resolveSupport?.properties.includes('edit') === true;
      initSettings = (params.initializationOptions as { settings?: unknown } | undefined)?.settings;
      const roots = (params.workspaceFolders ?? []).map((f) => ({ root: fileURLToPath(f.uri), uri: f.uri }));
      if (roots.length === 0 && params.rootUri) roots.push({ root: fileURLToPath(params.rootUri), uri: params.rootUri });
      const placeholder: LintTargets = { root: '/', patterns: [...CONVENTIONAL_LINT_PATHS], origin: 'conventional' };
      folders = roots.map((r) => ({ ...r, settings: DEFAULT_LINT_SETTINGS, targets: { ...placeholder, root: r.root }, matcher: new LintPathMatcher({ ...placeholder, root: r.root }) }));
      // Until initialized() reads settings and greenlight.yaml, opened files wait for it.
      configured = new Promise((r) => (releaseConfigured = r));
    },
    initialized() {
      if (capabilities.workspace?.didChangeConfiguration?.dynamicRegistration) {
        void connection.client.register(DidChangeConfigurationNotification.type, { section: 'greenlight' }).catch(() => undefined);
      }
      startRefresh();
    },
  };
}
