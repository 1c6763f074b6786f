// Publishes greenlight.yaml problems as diagnostics on the file itself: as you type when the file
// is open, and from disk at start (and when it changes on disk) so the Problems panel shows them
// even before the file is opened.
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DiagnosticSeverity, type Connection, type Diagnostic, type TextDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { CONFIG_FILE_NAME, parseConfig, type ConfigProblem } from '../core/config/load';
import { StateChangedNotification } from './protocol';
import type { ServiceFeature } from './features';

export function isConfigUri(uri: string): boolean {
  return uri.startsWith('file:') && path.basename(fileURLToPath(uri)) === CONFIG_FILE_NAME;
}

export function toDiagnostic(p: ConfigProblem): Diagnostic {
  return {
    range: { start: { line: p.line - 1, character: p.column - 1 }, end: { line: p.endLine - 1, character: Math.max(p.endColumn - 1, p.column) } },
    severity: DiagnosticSeverity.Error,
    source: 'greenlight',
    code: 'config',
    message: p.message,
  };
}

export function configDiagnostics(connection: Connection, documents: TextDocuments<TextDocument>): ServiceFeature {
  let roots: string[] = [];
  const publish = (uri: string, text: string): void => {
    const r = parseConfig(text, fileURLToPath(uri));
    void connection.sendDiagnostics({ uri, diagnostics: r.ok ? [] : r.problems.map(toDiagnostic) });
  };
  const publishFromDisk = async (file: string): Promise<void> => {
    const uri = pathToFileURL(file).toString();
    if (documents.get(uri)) return; // the open document is the truth while it is being edited
    try {
      publish(uri, await readFile(file, 'utf8'));
    } catch {
      void connection.sendDiagnostics({ uri, diagnostics: [] });
    }
  };
  documents.onDidChangeContent((e) => {
    if (isConfigUri(e.document.uri)) publish(e.document.uri, e.document.getText());
  });
  documents.onDidClose((e) => {
    if (isConfigUri(e.document.uri)) void publishFromDisk(fileURLToPath(e.document.uri));
  });
  connection.onDidChangeWatchedFiles((e) => {
    for (const c of e.changes) {
      if (!isConfigUri(c.uri)) continue;
      void publishFromDisk(fileURLToPath(c.uri));
      void connection.sendNotification(StateChangedNotification, { area: 'config' });
    }
  });
  return {
    capabilities: {},
    initialize(params) {
      roots = (params.workspaceFolders ?? []).map((f) => fileURLToPath(f.uri));
      if (roots.length === 0 && params.rootUri) roots = [fileURLToPath(params.rootUri)];
    },
    initialized() {
      for (const root of roots) void publishFromDisk(path.join(root, CONFIG_FILE_NAME));
    },
  };
}
