// Editor features of the service beyond jobs (lint diagnostics, code actions). Each feature
// module contributes capabilities and listeners here, so main.ts stays a short wiring file.
import type { Connection, InitializeParams, ServerCapabilities, TextDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';

export interface ServiceFeatures {
  readonly capabilities: Partial<ServerCapabilities>;
  initialize(params: InitializeParams): void;
  initialized(): void;
}

export function registerServiceFeatures(_connection: Connection, _documents: TextDocuments<TextDocument>): ServiceFeatures {
  return {
    capabilities: {},
    initialize: () => undefined,
    initialized: () => undefined,
  };
}
