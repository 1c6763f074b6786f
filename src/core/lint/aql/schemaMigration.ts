// The ArangoDB schema-migration file format Greenlight lints:
//
//   { "operations": [
//       { "type": "create_collection", "name": "users", "ifNotExists": true },
//       { "type": "ensure_index", "collection": "users", "fields": ["email"], "unique": true },
//       { "type": "aql", "query": "FOR u IN users FILTER !HAS(u, 'role') UPDATE u WITH { role: 'user' } IN users" }
//   ] }
//
// Each operation is an object with a "type". The known types and their re-run behaviour are in
// KNOWN_OPERATIONS; "aql" operations carry an AQL query that is linted by the AQL rules.
import { JsonSyntaxError, member, parseJsonWithOffsets, type JsonObject, type JsonString } from './json';
import type { CommentSpan, Span } from '../types';

export const KNOWN_OPERATIONS = [
  'create_collection', 'drop_collection', 'rename_collection', 'truncate_collection',
  'ensure_index', 'drop_index',
  'create_view', 'drop_view', 'create_graph', 'drop_graph', 'create_analyzer', 'drop_analyzer',
  'aql',
] as const;

export interface SchemaOperation {
  readonly node: JsonObject;
  /** The "type" value when it is a string. */
  readonly type?: JsonString;
}

export interface SchemaMigrationUnit {
  readonly root: JsonObject;
  readonly operations: readonly SchemaOperation[];
  readonly comments: readonly CommentSpan[];
}

export class SchemaMigrationError extends Error {
  constructor(
    message: string,
    readonly start: number,
    readonly end: number,
  ) {
    super(message);
  }
}

export function parseSchemaMigration(text: string): SchemaMigrationUnit {
  let parsed;
  try {
    parsed = parseJsonWithOffsets(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new SchemaMigrationError(`JSON syntax error: ${e.message}`, e.start, e.end);
    throw e;
  }
  const { value, comments } = parsed;
  if (value.kind !== 'object') throw new SchemaMigrationError('a schema migration is an object: { "operations": [ … ] }', value.start, value.end);
  const ops = member(value, 'operations');
  if (!ops) throw new SchemaMigrationError('a schema migration needs an "operations" array', value.start, value.start + 1);
  if (ops.kind !== 'array') throw new SchemaMigrationError('"operations" must be an array of operation objects', ops.start, ops.end);
  const operations: SchemaOperation[] = [];
  for (const item of ops.items) {
    if (item.kind !== 'object') throw new SchemaMigrationError('each operation must be an object with a "type"', item.start, item.end);
    const type = member(item, 'type');
    operations.push({ node: item, type: type?.kind === 'string' ? type : undefined });
  }
  return { root: value, operations, comments };
}

export function operationStatements(unit: SchemaMigrationUnit): Span[] {
  return unit.operations.map((o) => ({ start: o.node.start, end: o.node.end }));
}

export function nameOf(op: SchemaOperation): string {
  for (const k of ['name', 'collection', 'from']) {
    const v = member(op.node, k);
    if (v?.kind === 'string') return v.value;
  }
  return '(unnamed)';
}
