// ArangoDB JSON schema migrations: { "operations": [ { "type": "create_collection", … }, … ] }
// (the format the linter checks, see src/core/lint/aql/schemaMigration.ts). Every schema
// operation is applied idempotently by contract: creating what exists or dropping what is gone
// is a no-op, a rename that was done is skipped, ensure_index is idempotent in ArangoDB itself;
// `ifNotExists`/`ifExists` flags are accepted and change nothing. The linter relies on this and
// does not flag those operations; truncate_collection is the one it flags, because a rerun
// deletes the documents written since. "aql" operations run as queries.
import { InputError } from '../../common/errors';
import { lineColumn } from '../files';

export type SchemaOp =
  | { readonly type: 'create_collection'; readonly name: string; readonly edge: boolean; readonly schema?: unknown }
  | { readonly type: 'drop_collection'; readonly name: string }
  | { readonly type: 'rename_collection'; readonly name: string; readonly to: string }
  | { readonly type: 'truncate_collection'; readonly name: string }
  | { readonly type: 'ensure_index'; readonly collection: string; readonly spec: Record<string, unknown> }
  | { readonly type: 'drop_index'; readonly collection: string; readonly name: string }
  | { readonly type: 'create_view' | 'create_graph' | 'create_analyzer'; readonly name: string; readonly options: Record<string, unknown> }
  | { readonly type: 'drop_view' | 'drop_graph' | 'drop_analyzer'; readonly name: string }
  | { readonly type: 'aql'; readonly query: string; readonly bindVars: Record<string, unknown> };

export interface LocatedOp {
  readonly op: SchemaOp;
  readonly index: number;
  readonly line: number;
}

/** Parses and validates a JSON schema migration; errors name file:line of the operation. */
export function parseSchemaOps(text: string, file: string): LocatedOp[] {
  let root: unknown;
  const stripped = stripJsonComments(text);
  try {
    root = JSON.parse(stripped);
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    const lc = lineColumn(text, m ? Number(m[1]) : 0);
    throw new InputError(`invalid JSON: ${(e as Error).message}`, { file, line: lc.line, column: lc.column });
  }
  const ops = (root as { operations?: unknown })?.operations;
  if (!Array.isArray(ops)) throw new InputError('a schema migration is { "operations": [ … ] }', { file, line: 1, column: 1 });
  const lines = operationLines(stripped, ops.length);
  return ops.map((raw, index) => ({ op: toOp(raw, index, file, lines[index] ?? 1), index, line: lines[index] ?? 1 }));
}

function toOp(raw: unknown, index: number, file: string, line: number): SchemaOp {
  const where = { file, line, column: 1 };
  const o = raw as Record<string, unknown>;
  const str = (k: string): string => {
    const v = o?.[k];
    if (typeof v !== 'string' || v === '') throw new InputError(`operation ${index + 1} (${String(o?.type)}): "${k}" must be a non-empty string`, where);
    return v;
  };
  switch (o?.type) {
    case 'create_collection':
      return { type: 'create_collection', name: str('name'), edge: o.edge === true || o.collectionType === 'edge', schema: o.schema };
    case 'drop_collection':
    case 'truncate_collection':
      return { type: o.type, name: str('name') };
    case 'rename_collection':
      // "from" is how the linter's docs and examples write the source; "name" is accepted too.
      return { type: 'rename_collection', name: typeof o.from === 'string' ? str('from') : str('name'), to: typeof o.newName === 'string' ? str('newName') : str('to') };
    case 'ensure_index': {
      const { type: _t, collection: _c, indexType, ...rest } = o;
      if (!Array.isArray(o.fields) || o.fields.length === 0) throw new InputError(`operation ${index + 1} (ensure_index): "fields" must be a non-empty array`, where);
      return { type: 'ensure_index', collection: str('collection'), spec: { type: typeof indexType === 'string' ? indexType : 'persistent', ...rest } };
    }
    case 'drop_index':
      return { type: 'drop_index', collection: str('collection'), name: str('name') };
    case 'create_view':
    case 'create_graph':
    case 'create_analyzer': {
      const { type: _t, name: _n, ifNotExists: _i, ...options } = o;
      return { type: o.type, name: str('name'), options };
    }
    case 'drop_view':
    case 'drop_graph':
    case 'drop_analyzer':
      return { type: o.type, name: str('name') };
    case 'aql':
      return { type: 'aql', query: str('query'), bindVars: (o.bindVars as Record<string, unknown>) ?? {} };
    default:
      throw new InputError(`operation ${index + 1}: unknown type ${JSON.stringify(o?.type)}`, where);
  }
}

/** Blanks line and block comments outside strings, keeping offsets (and so line numbers). */
export function stripJsonComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (text.startsWith('//', i)) {
      const nl = text.indexOf('\n', i);
      const end = nl < 0 ? text.length : nl;
      out += ' '.repeat(end - i);
      i = end;
    } else if (text.startsWith('/*', i)) {
      const close = text.indexOf('*/', i + 2);
      const end = close < 0 ? text.length : close + 2;
      out += text.slice(i, end).replace(/[^\n]/g, ' ');
      i = end;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Line of each top-level element of the operations array (a light scan, strings respected). */
function operationLines(text: string, count: number): number[] {
  const start = text.search(/"operations"\s*:\s*\[/);
  if (start < 0) return [];
  let i = text.indexOf('[', start) + 1;
  let depth = 0;
  const lines: number[] = [];
  for (; i < text.length && lines.length < count; i++) {
    const c = text[i]!;
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    } else if (c === '{' || c === '[') {
      if (depth === 0) lines.push(lineColumn(text, i).line);
      depth++;
    } else if (c === '}' || c === ']') {
      if (depth === 0) break;
      depth--;
    }
  }
  return lines;
}
