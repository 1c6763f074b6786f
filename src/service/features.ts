// Editor features of the service beyond jobs (config diagnostics, completion and hover, lint
// diagnostics, code actions). Each feature is a module returning a ServiceFeature; this file lists them, so main.ts
// stays a short wiring file and features do not know about each other.
import type { Connection, InitializeParams, ServerCapabilities, TextDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { configAssist } from './configAssist';
import { configDiagnostics } from './configDiagnostics';
import { dockerImageEvents } from './dockerImageEvents';
import { localStateChanges } from './localStateChanges';
import { lintDiagnostics } from './lintDiagnostics';
import { shareNotifications } from './sharedNotifications';

export interface ServiceFeature {
  readonly capabilities: Partial<ServerCapabilities>;
  initialize(params: InitializeParams): void;
  initialized(): void;
  /** Stops what the feature runs in the background (the service is shutting down). */
  dispose?(): void;
}

export function registerServiceFeatures(connection: Connection, documents: TextDocuments<TextDocument>): ServiceFeature {
  // One handler per notification method is all vscode-languageserver keeps; this fans them out.
  const shared = shareNotifications(connection);
  const features: ServiceFeature[] = [configDiagnostics(shared, documents), configAssist(connection, documents), lintDiagnostics(shared, documents), localStateChanges(shared), dockerImageEvents(shared)];
  return {
    capabilities: Object.assign({}, ...features.map((f) => f.capabilities)),
    initialize: (params) => features.forEach((f) => f.initialize(params)),
    initialized: () => features.forEach((f) => f.initialized()),
    dispose: () => features.forEach((f) => f.dispose?.()),
  };
}
