// Completion and hover in greenlight.yaml, answered by the service from the project file's JSON
// Schema (see configSchemaAssist.ts), so a user needs no YAML extension for them.
import { CompletionRequest, HoverRequest, type Connection, type TextDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import schemaJson from '../../schemas/greenlight.schema.json';
import { isConfigUri } from './configDiagnostics';
import { completeConfig, hoverConfig, type JsonSchema } from './configSchemaAssist';
import type { ServiceFeature } from './features';

/**
 * Registered for greenlight.yaml only (dynamic registration with this selector): the client's own
 * selector also covers every SQL, JSON, Ruby and Python file for lint, and those must not wait on
 * the service for completions or hovers it never has.
 */
export const CONFIG_ASSIST_SELECTOR = [{ scheme: 'file', pattern: '**/greenlight.yaml' }];

const schema = schemaJson as JsonSchema;

export function configAssist(connection: Connection, documents: TextDocuments<TextDocument>): ServiceFeature {
  connection.onCompletion((params) => {
    const doc = documents.get(params.textDocument.uri);
    if (!doc || !isConfigUri(doc.uri)) return [];
    return completeConfig(schema, doc.getText(), params.position);
  });
  connection.onHover((params) => {
    const doc = documents.get(params.textDocument.uri);
    if (!doc || !isConfigUri(doc.uri)) return null;
    return hoverConfig(schema, doc, params.position);
  });
  return {
    capabilities: {},
    initialize() {},
    initialized() {
      void connection.client.register(CompletionRequest.type, { documentSelector: CONFIG_ASSIST_SELECTOR });
      void connection.client.register(HoverRequest.type, { documentSelector: CONFIG_ASSIST_SELECTOR });
    },
  };
}
