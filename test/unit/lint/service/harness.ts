// An in-process language-server session for the lint feature: the real vscode-languageserver
// connection and TextDocuments on one side of a pair of in-memory streams, a vscode-jsonrpc
// client on the other, speaking real LSP messages. The client answers workspace/configuration
// from `settings` and records every publishDiagnostics.
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-languageserver-protocol/node';
import { createConnection, TextDocuments, TextDocumentSyncKind, type Diagnostic, type PublishDiagnosticsParams } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Linter } from '../../../../src/core/lint/engine';
import { lintDiagnostics, type ServiceLintRunner } from '../../../../src/service/lintDiagnostics';
import { shareNotifications } from '../../../../src/service/sharedNotifications';

export interface Session {
  readonly client: MessageConnection;
  readonly published: PublishDiagnosticsParams[];
  readonly registrations: { method: string; registerOptions: unknown }[];
  settings: Record<string, unknown>;
  /** The latest diagnostics published for a file (undefined if none ever were). */
  latest(file: string): Diagnostic[] | undefined;
  /** Resolves with the next publication for file that satisfies `accept`. */
  next(file: string, accept?: (d: Diagnostic[]) => boolean, timeoutMs?: number): Promise<Diagnostic[]>;
  /** Like next, but the latest publication already received counts too. */
  eventually(file: string, accept?: (d: Diagnostic[]) => boolean, timeoutMs?: number): Promise<Diagnostic[]>;
  open(file: string, text: string, version?: number): void;
  change(file: string, text: string, version: number): void;
  close(file: string): void;
  dispose(): void;
}

export const uriOf = (file: string): string => pathToFileURL(file).toString();

export async function startSession(
  root: string,
  createLinter: () => Linter,
  docsDir: string,
  settings: Record<string, unknown> = {},
  client: { resolveEdits?: boolean } = {},
  runner?: ServiceLintRunner,
): Promise<Session> {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const server = createConnection(new StreamMessageReader(toServer), new StreamMessageWriter(toClient));
  const documents = new TextDocuments(TextDocument);
  const feature = lintDiagnostics(shareNotifications(server), documents, { createLinter, docsDir, runner });
  // Stands in for the service's health request: answered on the thread that serves the editor.
  server.onRequest('test/ping', () => 'pong');
  server.onInitialize((p) => {
    feature.initialize(p);
    return { capabilities: { textDocumentSync: TextDocumentSyncKind.Full, ...feature.capabilities } };
  });
  server.onInitialized(() => feature.initialized());
  documents.listen(server);
  server.listen();

  const conn = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
  const published: PublishDiagnosticsParams[] = [];
  const waiters: { uri: string; accept: (d: Diagnostic[]) => boolean; resolve: (d: Diagnostic[]) => void }[] = [];
  const registrations: { method: string; registerOptions: unknown }[] = [];
  const session: Session = {
    client: conn,
    published,
    registrations,
    settings,
    latest(file) {
      const uri = uriOf(file);
      for (let i = published.length - 1; i >= 0; i--) if (published[i]!.uri === uri) return published[i]!.diagnostics;
      return undefined;
    },
    next(file, accept = () => true, timeoutMs = 5000) {
      const uri = uriOf(file);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no matching diagnostics for ${file} within ${timeoutMs} ms; got ${JSON.stringify(session.latest(file))}`)), timeoutMs);
        waiters.push({ uri, accept, resolve: (d) => (clearTimeout(t), resolve(d)) });
      });
    },
    eventually(file, accept = () => true, timeoutMs = 5000) {
      const latest = session.latest(file);
      return latest && accept(latest) ? Promise.resolve(latest) : session.next(file, accept, timeoutMs);
    },
    open(file, text, version = 1) {
      void conn.sendNotification('textDocument/didOpen', { textDocument: { uri: uriOf(file), languageId: 'sql', version, text } });
    },
    change(file, text, version) {
      void conn.sendNotification('textDocument/didChange', { textDocument: { uri: uriOf(file), version }, contentChanges: [{ text }] });
    },
    close(file) {
      void conn.sendNotification('textDocument/didClose', { textDocument: { uri: uriOf(file) } });
    },
    dispose() {
      feature.dispose?.();
      conn.dispose();
      server.dispose();
      toServer.destroy();
      toClient.destroy();
    },
  };
  conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    published.push(p);
    for (let i = 0; i < waiters.length; i++) {
      const w = waiters[i]!;
      if (w.uri === p.uri && w.accept(p.diagnostics)) {
        waiters.splice(i--, 1);
        w.resolve(p.diagnostics);
      }
    }
  });
  conn.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) => p.items.map(() => session.settings));
  conn.onRequest('client/registerCapability', (p: { registrations: { method: string; registerOptions: unknown }[] }) => {
    registrations.push(...p.registrations);
    return null;
  });
  conn.onRequest('client/unregisterCapability', () => null);
  conn.onNotification('window/logMessage', () => undefined);
  conn.listen();
  await conn.sendRequest('initialize', {
    processId: null,
    rootUri: uriOf(root),
    workspaceFolders: [{ uri: uriOf(root), name: 'w' }],
    capabilities: {
      workspace: {
        configuration: true,
        didChangeConfiguration: { dynamicRegistration: true },
        didChangeWatchedFiles: { dynamicRegistration: true, relativePatternSupport: true },
      },
      textDocument: { publishDiagnostics: { versionSupport: true }, ...(client.resolveEdits ? { codeAction: { resolveSupport: { properties: ['edit'] } } } : {}) },
    },
  });
  void conn.sendNotification('initialized', {});
  return session;
}
