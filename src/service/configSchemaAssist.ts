// Completion and hover for greenlight.yaml from its JSON Schema (schemas/greenlight.schema.json,
// generated from the validator), so the editor needs no YAML extension for them.
//
// Completion reads the lines above the cursor by indentation rather than the YAML tree: while a
// key is being typed the document is incomplete (a bare "  po" or an empty indented line has no
// node in any parser's tree), and indentation is what says where that key will land. Hover reads
// the tree of the `yaml` package, which is exact for a document that parses.
import { isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import { CompletionItemKind, InsertTextFormat, MarkupKind, type CompletionItem, type Hover, type Position } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';

/** The part of JSON Schema the generated schema uses (zod's toJSONSchema output, no $ref). */
export interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly description?: string;
  readonly default?: unknown;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly additionalProperties?: JsonSchema | boolean;
  readonly items?: JsonSchema;
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
  readonly allOf?: readonly JsonSchema[];
}

/** A step into the document: a mapping key, or an item of a sequence (the index does not matter to the schema). */
export type PathSegment = string | number;

/** The schema and its alternatives (anyOf/oneOf) and parts (allOf), flattened. */
function alternatives(s: JsonSchema): JsonSchema[] {
  const out = [s];
  for (const sub of [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])]) out.push(...alternatives(sub));
  return out;
}

/** Every schema that can describe the value at `path` (more than one where the schema says anyOf). */
export function schemasAt(root: JsonSchema, path: readonly PathSegment[]): JsonSchema[] {
  let current = [root];
  for (const seg of path) {
    const next: JsonSchema[] = [];
    for (const s of current.flatMap(alternatives)) {
      if (typeof seg === 'number') {
        if (s.items) next.push(s.items);
      } else if (s.properties?.[seg]) {
        next.push(s.properties[seg]);
      } else if (typeof s.additionalProperties === 'object') {
        next.push(s.additionalProperties);
      }
    }
    current = next;
  }
  return current;
}

function typesOf(s: JsonSchema): string[] {
  return alternatives(s).flatMap((a) => (a.type === undefined ? [] : typeof a.type === 'string' ? [a.type] : [...a.type]));
}

function enumValues(schemas: readonly JsonSchema[]): string[] {
  const values = new Set<string>();
  for (const a of schemas.flatMap(alternatives)) {
    for (const v of a.enum ?? []) values.add(String(v));
    if (a.const !== undefined) values.add(String(a.const));
    if (a.type === 'boolean') for (const v of ['true', 'false']) values.add(v);
  }
  return [...values];
}

/** The Markdown a hover or a completion item's documentation shows for a key. */
export function describeSchema(key: string, schemas: readonly JsonSchema[]): string {
  const all = schemas.flatMap(alternatives);
  const description = all.find((s) => s.description)?.description;
  const types = [...new Set(schemas.flatMap(typesOf))];
  const values = enumValues(schemas);
  const withDefault = all.find((s) => s.default !== undefined);
  const lines = [`**${key}**${types.length ? ` (${types.join(' | ')})` : ''}`];
  if (description) lines.push('', description);
  if (values.length && !types.every((t) => t === 'boolean')) lines.push('', `Values: ${values.map((v) => `\`${v}\``).join(', ')}`);
  if (withDefault && (typeof withDefault.default !== 'object' || withDefault.default === null)) lines.push('', `Default: \`${String(withDefault.default)}\``);
  return lines.join('\n');
}

// ---- completion: where the cursor is, from indentation ----

interface LineToken {
  readonly kind: 'dash' | 'key';
  readonly col: number;
  readonly key?: string;
  /** A key followed by a value on the same line (`port: 80`), not by a nested block. */
  readonly hasValue?: boolean;
}

const KEY_AT = /^(?:"([^"]*)"|'([^']*)'|([^\s#'"{}[\],&*!|>%@`-][^#:]*?|-[^\s#:][^#:]*?))\s*:(?=\s|$)(.*)$/;

/** The block-structure tokens of one line: its "- " item markers and its key, with their columns. */
function tokenize(line: string): LineToken[] {
  const tokens: LineToken[] = [];
  let pos = line.length - line.trimStart().length;
  if (pos >= line.length || line[pos] === '#' || line.startsWith('---', pos) || line.startsWith('...', pos)) return tokens;
  while (line[pos] === '-' && (pos + 1 === line.length || /\s/.test(line[pos + 1]!))) {
    tokens.push({ kind: 'dash', col: pos });
    pos++;
    while (pos < line.length && /\s/.test(line[pos]!)) pos++;
  }
  const m = KEY_AT.exec(line.slice(pos));
  if (m) {
    const rest = m[4]!.trim();
    tokens.push({ kind: 'key', col: pos, key: m[1] ?? m[2] ?? m[3]!, hasValue: rest !== '' && !rest.startsWith('#') });
  }
  // A line of plain text (a block scalar's, a flow value's continuation) opens nothing: no tokens.
  return tokens;
}

function segmentOf(t: LineToken): PathSegment {
  return t.kind === 'dash' ? 0 : t.key!;
}

interface Container {
  readonly path: PathSegment[];
  /** The line that opens the container (-1 for the document root). */
  readonly line: number;
}

/**
 * The path of the collection that a token at column `col` on line `lineNo` belongs to: the
 * nearest line above with a token left of it (or a key at the same column that a "- " item
 * sequence hangs under, the compact style `key:\n- item`).
 */
function containerOf(lines: readonly string[], lineNo: number, col: number, startsWithDash: boolean): Container {
  for (let i = lineNo - 1; i >= 0; i--) {
    const tokens = tokenize(lines[i]!);
    let parent = -1;
    tokens.forEach((t, j) => {
      if (t.col < col) parent = j;
      else if (startsWithDash && t.col === col && t.kind === 'key' && t.key !== undefined && !t.hasValue && j === tokens.length - 1) parent = j;
    });
    if (parent === -1) continue;
    const above = containerOf(lines, i, tokens[0]!.col, tokens[0]!.kind === 'dash');
    return { path: [...above.path, ...tokens.slice(0, parent + 1).map(segmentOf)], line: i };
  }
  return { path: [], line: -1 };
}

/** Keys already present in the mapping whose keys sit at column `col`, around line `lineNo`. */
function siblingKeys(lines: readonly string[], lineNo: number, col: number, itemStartsHere: boolean): Set<string> {
  const keys = new Set<string>();
  const collect = (tokens: LineToken[]): void => {
    for (const t of tokens) if (t.kind === 'key' && t.col === col && t.key !== undefined) keys.add(t.key);
  };
  if (!itemStartsHere) {
    for (let i = lineNo - 1; i >= 0; i--) {
      const tokens = tokenize(lines[i]!);
      if (tokens.length === 0) continue;
      collect(tokens);
      if (tokens[0]!.col < col) break;
    }
  }
  for (let i = lineNo + 1; i < lines.length; i++) {
    const tokens = tokenize(lines[i]!);
    if (tokens.length === 0) continue;
    if (tokens[0]!.col < col) break;
    collect(tokens);
  }
  return keys;
}

export type CompletionContext =
  | { readonly kind: 'key'; readonly path: PathSegment[]; readonly prefixStart: number; readonly replaceEnd: number; readonly present: Set<string>; readonly itemValue: boolean }
  | { readonly kind: 'value'; readonly path: PathSegment[]; readonly prefixStart: number; readonly replaceEnd: number };

const KEY_BEING_TYPED = /^(\s*)((?:-\s+)*)([A-Za-z_$][\w$.-]*)?$/;
const VALUE_BEING_TYPED = /^(\s*)((?:-\s+)*)(?:"([^"]*)"|'([^']*)'|([^\s#'"{}[\],-][^#:]*?))\s*:\s+(["']?)([^\s#'"]*)$/;

/** What the cursor is typing: a key of the mapping at some path, or the value of a key. */
export function completionContext(text: string, position: Position): CompletionContext | undefined {
  const lines = text.split(/\r?\n/);
  const line = lines[position.line];
  if (line === undefined) return undefined;
  const before = line.slice(0, position.character);
  // Completing inside a word replaces the whole word (and, for a key, its colon): "na|me: web"
  // becomes "port: web", not "port: me: web".
  const after = /^[\w$.-]*(?::(?: |$))?/.exec(line.slice(position.character))![0];
  const dashesOf = (indent: string, dashes: string): LineToken[] => {
    const out: LineToken[] = [];
    let col = indent.length;
    for (const d of dashes.match(/-\s+/g) ?? []) {
      out.push({ kind: 'dash', col });
      col += d.length;
    }
    return out;
  };
  let m = KEY_BEING_TYPED.exec(before);
  if (m) {
    const dashes = dashesOf(m[1]!, m[2]!);
    const keyCol = m[1]!.length + m[2]!.length;
    const first = dashes[0]?.col ?? keyCol;
    const container = containerOf(lines, position.line, first, dashes.length > 0);
    return {
      kind: 'key',
      path: [...container.path, ...dashes.map(segmentOf)],
      prefixStart: keyCol,
      replaceEnd: position.character + after.length,
      present: siblingKeys(lines, position.line, keyCol, dashes.length > 0),
      itemValue: dashes.length > 0,
    };
  }
  m = VALUE_BEING_TYPED.exec(before);
  if (m) {
    const dashes = dashesOf(m[1]!, m[2]!);
    const first = dashes[0]?.col ?? m[1]!.length + m[2]!.length;
    const key = m[3] ?? m[4] ?? m[5]!;
    const container = containerOf(lines, position.line, first, dashes.length > 0);
    return { kind: 'value', path: [...container.path, ...dashes.map(segmentOf), key], prefixStart: position.character - m[7]!.length, replaceEnd: position.character + /^[\w$.-]*/.exec(after)![0].length };
  }
  return undefined;
}

function isContainer(schemas: readonly JsonSchema[]): boolean {
  const types = schemas.flatMap(typesOf);
  return types.length > 0 && types.every((t) => t === 'object' || t === 'array');
}

/** Completion items for greenlight.yaml at `position`: the schema's keys there, or a key's allowed values. */
export function completeConfig(schema: JsonSchema, text: string, position: Position): CompletionItem[] {
  const ctx = completionContext(text, position);
  if (!ctx) return [];
  const range = { start: { line: position.line, character: ctx.prefixStart }, end: { line: position.line, character: ctx.replaceEnd } };
  const valueItems = (schemas: readonly JsonSchema[]): CompletionItem[] =>
    enumValues(schemas).map((v, i) => ({ label: v, kind: CompletionItemKind.EnumMember, textEdit: { range, newText: v }, sortText: String(i).padStart(3, '0') }));
  const here = schemasAt(schema, ctx.path);
  if (ctx.kind === 'value') return valueItems(here);
  const items: CompletionItem[] = [];
  const seen = new Set<string>();
  for (const s of here.flatMap(alternatives)) {
    for (const [key, sub] of Object.entries(s.properties ?? {})) {
      if (seen.has(key) || ctx.present.has(key) || key === '$schema') continue;
      seen.add(key);
      const subs = schemasAt(schema, [...ctx.path, key]);
      items.push({
        label: key,
        kind: isContainer(subs) ? CompletionItemKind.Module : CompletionItemKind.Property,
        detail: [...new Set(subs.flatMap(typesOf))].join(' | ') || undefined,
        documentation: { kind: MarkupKind.Markdown, value: describeSchema(key, [sub]) },
        // A nested block goes on the next lines; a scalar right after the colon.
        textEdit: { range, newText: isContainer(subs) ? `${key}:` : `${key}: ` },
        insertTextFormat: InsertTextFormat.PlainText,
      });
    }
  }
  // "- " in a list of plain values (statuses, seeds…): offer the item's allowed values too.
  if (ctx.itemValue) items.push(...valueItems(here));
  return items;
}

// ---- hover: the YAML tree ----

interface Located {
  readonly path: PathSegment[];
  readonly key: string;
  readonly range: readonly [number, number];
}

function within(node: YamlNode | null | undefined, offset: number): boolean {
  return !!node?.range && offset >= node.range[0] && offset <= node.range[1];
}

function locate(node: YamlNode | null | undefined, offset: number, path: PathSegment[], key: string): Located | undefined {
  if (isMap(node)) {
    for (const pair of node.items) {
      const k = pair.key as YamlNode | null;
      const name = isScalar(k) ? String(k.value) : undefined;
      if (name === undefined) continue;
      if (within(k, offset)) return { path: [...path, name], key: name, range: [k!.range![0], k!.range![1]] };
      const v = pair.value as YamlNode | null;
      if (within(v, offset)) {
        if (isScalar(v)) return { path: [...path, name], key: name, range: [v.range![0], v.range![1]] };
        return locate(v, offset, [...path, name], name);
      }
    }
  } else if (isSeq(node)) {
    for (const [i, item] of node.items.entries()) {
      const n = item as YamlNode | null;
      if (!within(n, offset)) continue;
      if (isScalar(n)) return { path: [...path, i], key: `${key}[]`, range: [n.range![0], n.range![1]] };
      return locate(n, offset, [...path, i], `${key}[]`);
    }
  }
  return undefined;
}

/** The hover for greenlight.yaml at `position`: the key's (or its value's key's) description from the schema. */
export function hoverConfig(schema: JsonSchema, doc: TextDocument, position: Position): Hover | null {
  const parsed = parseDocument(doc.getText(), { keepSourceTokens: false, uniqueKeys: false });
  const found = locate(parsed.contents as YamlNode | null, doc.offsetAt(position), [], '');
  if (!found) return null;
  const schemas = schemasAt(schema, found.path);
  if (schemas.length === 0) return null;
  return {
    contents: { kind: MarkupKind.Markdown, value: describeSchema(found.key, schemas) },
    range: { start: doc.positionAt(found.range[0]), end: doc.positionAt(found.range[1]) },
  };
}
