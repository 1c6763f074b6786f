// ArangoDB migrations written as JavaScript or TypeScript code calling arangojs, parsed with
// web-tree-sitter and the tree-sitter-javascript / tree-sitter-typescript grammars. What the rules
// need is extracted while the tree is alive (tree-sitter trees live in WASM memory and are freed
// right after):
//  - the AQL of every `aql` tagged template and of every `.query(…)` / `._query(…)` call whose
//    argument is a string, a template or `{ query: "…" }`, decoded with the offset of each
//    character in the file, so findings of the AQL rules land where the query is written.
//    Interpolations `${x}` become bind parameters (`@value0`, or `@@value0` after IN/INTO, where
//    arangojs binds a collection object), as arangojs itself does; a nested aql`…` fragment or
//    aql.literal("…") is inlined, as arangojs does. A query under a guard of the host code (an
//    `if` on an existence check or on what an earlier query found) is left out: a rerun skips it.
//  - the schema calls beside them (createCollection, drop, truncate, rename, ensureIndex, …) with
//    the guard that protects each one (an `exists()` check, try/catch, `.catch(…)`), if any.
// Code in a function that runs when migrating down (`down`, `rollback`, `beforeDown`, …, however it
// is declared or exported) is not part of the forward migration and is left out.
import type { CommentSpan, Span } from '../types';
import { descendants, firstSyntaxError, treeSitterParser, type TsNode } from '../treeSitter';

export interface DecodedText {
  readonly value: string;
  /** offsets[i]: file offset of decoded character i; one extra entry for the end. */
  readonly offsets: number[];
}

export interface EmbeddedAql extends Span {
  readonly aql: DecodedText;
}

export type SchemaCallKind = 'create' | 'drop' | 'rename' | 'truncate' | 'ensure-index';

export interface SchemaCall extends Span {
  readonly kind: SchemaCallKind;
  /** The method called: createCollection, drop, …. */
  readonly method: string;
  /** The call's source text, shortened, for messages. */
  readonly text: string;
  /** What protects the call on a rerun, when something does. */
  readonly guard?: string;
}

export interface ArangoJsUnit {
  readonly queries: readonly EmbeddedAql[];
  readonly schemaCalls: readonly SchemaCall[];
}

export type ArangoJsParse =
  | { ok: true; unit: ArangoJsUnit; statements: Span[]; comments: CommentSpan[] }
  | { ok: false; start: number; end: number; message: string };

export type ScriptDialect = 'javascript' | 'typescript';

const GRAMMAR: Record<ScriptDialect, string> = {
  javascript: 'tree-sitter-javascript/tree-sitter-javascript.wasm',
  typescript: 'tree-sitter-typescript/tree-sitter-typescript.wasm',
};

/** TypeScript for .ts/.mts/.cts, JavaScript (with JSX) for .js/.mjs/.cjs/.jsx. */
export function dialectOf(file: string): ScriptDialect {
  return /\.[mc]?tsx?$/i.test(file) ? 'typescript' : 'javascript';
}

/** Methods that create an object and fail with "duplicate name" (1207) when it exists. */
const CREATE_METHODS = new Set(['createCollection', 'createEdgeCollection', 'createView', 'createGraph', 'createAnalyzer', 'createDatabase', '_create', '_createDocumentCollection', '_createEdgeCollection', '_createView']);
/** Methods on a collection/view/graph/analyzer handle. */
const HANDLE_METHODS: Record<string, SchemaCallKind> = { create: 'create', drop: 'drop', rename: 'rename', truncate: 'truncate', dropIndex: 'drop', ensureIndex: 'ensure-index' };
/** Calls that return a handle: db.collection("x"), db.view("x"), …. */
const HANDLE_FACTORY = /\.(collection|edgeCollection|view|graph|analyzer|_collection)\s*\(/;
/** A condition that asks whether the object exists (`exists()`, a wrapper's `collectionExists()`, a list lookup). */
const EXISTS_CHECK = /exists\s*\(|\b(collections|listCollections|views|listViews|graphs|listGraphs|analyzers|listAnalyzers|indexes|_collection)\s*\(|\.(includes|some|find|has|indexOf)\s*\(|\bhas[A-Z]\w*\s*\(/i;

const JS_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '0': '\0' };

/** Decodes a JS string/template body from `from` to `to` (escapes resolved), appending to `out`. */
function decodeRange(text: string, from: number, to: number, out: { value: string; offsets: number[] }): void {
  let i = from;
  while (i < to) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < to) {
      const e = text[i + 1]!;
      if (e === '\n') {
        i += 2;
        continue;
      }
      if (e === '\r') {
        i += text[i + 2] === '\n' ? 3 : 2;
        continue;
      }
      let hex = '';
      let len = 0;
      if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 2, i + 4))) [hex, len] = [text.slice(i + 2, i + 4), 4];
      else if (e === 'u' && text[i + 2] === '{') {
        const close = text.indexOf('}', i + 3);
        if (close > 0 && close < to && /^[0-9a-fA-F]{1,6}$/.test(text.slice(i + 3, close))) [hex, len] = [text.slice(i + 3, close), close + 1 - i];
      } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) [hex, len] = [text.slice(i + 2, i + 6), 6];
      if (len) {
        const ch = String.fromCodePoint(Math.min(0x10ffff, parseInt(hex, 16)));
        for (let k = 0; k < ch.length; k++) out.offsets.push(i);
        out.value += ch;
        i += len;
        continue;
      }
      out.offsets.push(i);
      out.value += JS_ESCAPES[e] ?? e;
      i += 2;
      continue;
    }
    out.offsets.push(i);
    out.value += c;
    i++;
  }
}

function callee(call: TsNode): { name: string; object?: TsNode } {
  const f = call.childForFieldName('function');
  if (!f) return { name: '' };
  if (f.type === 'identifier') return { name: f.text };
  if (f.type === 'member_expression') return { name: f.childForFieldName('property')?.text ?? '', object: f.childForFieldName('object') ?? undefined };
  return { name: '' };
}

/** True for `aql` and `<anything>.aql` used as a template tag. */
function isAqlTag(call: TsNode): boolean {
  const f = call.childForFieldName('function');
  const args = call.childForFieldName('arguments');
  if (args?.type !== 'template_string') return false;
  return f?.type === 'identifier' ? f.text === 'aql' : f?.type === 'member_expression' && f.childForFieldName('property')?.text === 'aql';
}

function unwrap(n: TsNode | null | undefined): TsNode | undefined {
  let cur = n ?? undefined;
  while (cur && (cur.type === 'parenthesized_expression' || cur.type === 'await_expression' || cur.type === 'as_expression' || cur.type === 'non_null_expression' || cur.type === 'satisfies_expression')) {
    cur = cur.namedChildren.find((c): c is TsNode => !!c && c.type !== 'comment') ?? undefined;
  }
  return cur;
}

interface Extractor {
  readonly text: string;
  /** Nested aql`…` templates already inlined into their parent query. */
  readonly inlined: Set<number>;
}

/**
 * The AQL of a template literal: text with escapes resolved, interpolations as bind parameters
 * (or inlined when they are aql fragments or aql.literal strings).
 */
function decodeTemplate(tpl: TsNode, x: Extractor, out: { value: string; offsets: number[] }, counter: { n: number }): void {
  let at = tpl.startIndex + 1;
  const end = tpl.endIndex - 1;
  for (const sub of tpl.namedChildren) {
    if (!sub || sub.type !== 'template_substitution') continue;
    decodeRange(x.text, at, sub.startIndex, out);
    const expr = unwrap(sub.namedChildren.find((c): c is TsNode => !!c && c.type !== 'comment'));
    if (expr?.type === 'call_expression' && isAqlTag(expr)) {
      x.inlined.add(expr.startIndex);
      decodeTemplate(expr.childForFieldName('arguments')!, x, out, counter);
    } else if (expr?.type === 'call_expression' && /^(aql\.)?literal$/.test(expr.childForFieldName('function')?.text ?? '') && stringArg(expr)) {
      const s = stringArg(expr)!;
      decodeString(s, x, out, counter);
    } else {
      // arangojs binds a collection object as @@valueN; where a collection name is expected
      // (after IN or INTO) the parameter is written that way, elsewhere as @valueN.
      const coll = /\b(IN|INTO)\s*$/i.test(out.value);
      const name = `${coll ? '@@' : '@'}value${counter.n++}`;
      for (let k = 0; k < name.length; k++) out.offsets.push(Math.min(sub.startIndex + k, sub.endIndex - 1));
      out.value += name;
    }
    at = sub.endIndex;
  }
  decodeRange(x.text, at, end, out);
}

function stringArg(call: TsNode): TsNode | undefined {
  const first = call.childForFieldName('arguments')?.namedChildren.find((c): c is TsNode => !!c && c.type !== 'comment');
  const u = unwrap(first);
  return u && (u.type === 'string' || u.type === 'template_string') ? u : undefined;
}

function decodeString(s: TsNode, x: Extractor, out: { value: string; offsets: number[] }, counter: { n: number }): void {
  if (s.type === 'template_string') decodeTemplate(s, x, out, counter);
  else decodeRange(x.text, s.startIndex + 1, s.endIndex - 1, out);
}

function finish(out: { value: string; offsets: number[] }, end: number): DecodedText {
  out.offsets.push(end);
  return { value: out.value, offsets: out.offsets };
}

/** The query of a `.query(…)` argument: a string, an untagged template or `{ query: … }`. */
function queryArgument(call: TsNode): TsNode | undefined {
  const first = unwrap(call.childForFieldName('arguments')?.namedChildren.find((c): c is TsNode => !!c && c.type !== 'comment'));
  if (!first) return undefined;
  if (first.type === 'string' || first.type === 'template_string') return first;
  if (first.type === 'object') {
    for (const p of first.namedChildren) {
      if (p?.type !== 'pair' || p.childForFieldName('key')?.text.replace(/^["']|["']$/g, '') !== 'query') continue;
      const v = unwrap(p.childForFieldName('value'));
      if (v && (v.type === 'string' || v.type === 'template_string')) return v;
    }
  }
  return undefined;
}

function short(s: string): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > 60 ? one.slice(0, 57) + '…' : one;
}

const FUNCTION_TYPES = new Set(['function_declaration', 'function_expression', 'function', 'arrow_function', 'method_definition', 'generator_function_declaration', 'generator_function']);
const EXIT = /^\s*(return|throw|continue|break)\b/;

function isInside(n: TsNode, outer: TsNode | null | undefined): boolean {
  return !!outer && n.startIndex >= outer.startIndex && n.endIndex <= outer.endIndex;
}

/** What protects a call on a rerun, looking outwards to its function; `checks` says whether a condition asks what is there. */
function guardOf(call: TsNode, checks: (condition: string) => boolean = (c) => EXISTS_CHECK.test(c), catchCounts = true): string | undefined {
  // db.createCollection("x").catch(…)
  const parent = call.parent;
  if (catchCounts && parent?.type === 'member_expression' && parent.childForFieldName('property')?.text === 'catch') return '.catch()';
  for (let a = call.parent, child: TsNode = call; a; child = a, a = a.parent) {
    if (a.type === 'if_statement' || a.type === 'ternary_expression') {
      const cond = a.childForFieldName('condition');
      if (cond && !isInside(call, cond) && checks(cond.text)) return 'an existence check';
    }
    if (a.type === 'binary_expression' && /^(\|\||&&)$/.test(a.childForFieldName('operator')?.text ?? '')) {
      const left = a.childForFieldName('left');
      if (isInside(call, a.childForFieldName('right')) && left && checks(left.text)) return 'an existence check';
    }
    if (catchCounts && a.type === 'try_statement' && isInside(call, a.childForFieldName('body')) && a.childForFieldName('handler')) return 'try/catch';
    if (a.type === 'statement_block' || a.type === 'program') {
      // An earlier `if (await col.exists()) return;` in the same block.
      for (const s of a.namedChildren) {
        if (!s || s.startIndex >= child.startIndex) break;
        if (s.type !== 'if_statement') continue;
        const cond = s.childForFieldName('condition');
        const body = s.childForFieldName('consequence');
        const first = body?.type === 'statement_block' ? body.namedChildren.find((c) => c && c.type !== 'comment')?.text : body?.text;
        if (cond && checks(cond.text) && first && EXIT.test(first)) return 'an early return on an existence check';
      }
    }
    if (FUNCTION_TYPES.has(a.type)) {
      // A guard inside a helper function does not reach its callers; stop at the function.
      break;
    }
  }
  return undefined;
}

/** Names bound to what a query returned: `const existing = await db.query(aql\`…\`)`. */
function queryResultNames(root: TsNode): Set<string> {
  const names = new Set<string>();
  for (const d of descendants(root, (t) => t === 'variable_declarator' || t === 'assignment_expression')) {
    const name = d.type === 'variable_declarator' ? d.childForFieldName('name') : d.childForFieldName('left');
    const value = d.type === 'variable_declarator' ? d.childForFieldName('value') : d.childForFieldName('right');
    if (name?.type === 'identifier' && value && /\baql\s*`|\.(_?query|execute|document|exists)\s*\(/.test(value.text)) names.add(name.text);
  }
  return names;
}

/** Names bound to a handle: `const users = db.collection("users")`. */
function handleNames(root: TsNode): Set<string> {
  const names = new Set<string>();
  for (const d of descendants(root, (t) => t === 'variable_declarator')) {
    const name = d.childForFieldName('name');
    const value = unwrap(d.childForFieldName('value'));
    if (name?.type === 'identifier' && value?.type === 'call_expression' && (HANDLE_FACTORY.test(value.text.split('\n')[0]!) || CREATE_METHODS.has(callee(value).name))) names.add(name.text);
  }
  return names;
}

function isHandle(object: TsNode | undefined, handles: ReadonlySet<string>): boolean {
  const o = unwrap(object);
  if (!o) return false;
  if (o.type === 'identifier') return handles.has(o.text);
  if (o.type === 'call_expression') return HANDLE_FACTORY.test(o.text.split('\n')[0]!);
  return false;
}

const STATEMENT = /(_statement|_declaration)$/;
/** Functions that run when migrating down (migrate-style `down`, arango-migrate's `beforeDown`, …). */
const REVERSE_NAME = /^(before|after)?(down|rollback|revert|undo)$/i;

/** The name a function is known by: its own, or the variable, property or export it is assigned to. */
function functionName(fn: TsNode): string | undefined {
  const own = fn.childForFieldName('name');
  if (own) return own.text.replace(/^["']|["']$/g, '');
  const p = fn.parent;
  if (p?.type === 'variable_declarator') return p.childForFieldName('name')?.text;
  if (p?.type === 'pair') return p.childForFieldName('key')?.text.replace(/^["']|["']$/g, '');
  if (p?.type === 'assignment_expression') {
    const left = p.childForFieldName('left');
    return left?.type === 'member_expression' ? left.childForFieldName('property')?.text : left?.text;
  }
  return undefined;
}

/** True when the node sits in a function that runs only when migrating down. */
function inReverseFunction(n: TsNode): boolean {
  for (let a = n.parent; a; a = a.parent) {
    if (FUNCTION_TYPES.has(a.type) && REVERSE_NAME.test(functionName(a) ?? '')) return true;
  }
  return false;
}
/** How an AQL query starts; anything else in an aql`…` that is not run directly is a fragment. */
const QUERY_START = /^(FOR|LET|WITH|INSERT|UPDATE|REPLACE|REMOVE|UPSERT|RETURN)\b/i;
const LEADING_COMMENTS = /^(\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*/;

/** True when the node is the first argument of a `.query(…)` / `._query(…)` call. */
function isQueryArgument(n: TsNode): boolean {
  let p = n.parent;
  while (p && (p.type === 'parenthesized_expression' || p.type === 'await_expression' || p.type === 'as_expression')) p = p.parent;
  if (p?.type !== 'arguments') return false;
  const call = p.parent;
  return !!call && call.type === 'call_expression' && /^_?query$/.test(callee(call).name);
}

export async function parseArangoJs(text: string, dialect: ScriptDialect): Promise<ArangoJsParse> {
  const parser = await treeSitterParser(GRAMMAR[dialect]);
  const tree = parser.parse(text);
  if (!tree) return { ok: false, start: 0, end: Math.min(1, text.length), message: `the ${dialect} parser returned no tree` };
  try {
    const root = tree.rootNode;
    const label = dialect === 'typescript' ? 'TypeScript' : 'JavaScript';
    const err = firstSyntaxError(root, label);
    if (err) return { ok: false, ...err };
    const x: Extractor = { text, inlined: new Set() };
    const handles = handleNames(root);
    // A query that only runs when the code found nothing (`if (!existing.length) { INSERT … }`) is
    // guarded by its host: a rerun finds the document and skips it, so its AQL is not linted.
    const results = queryResultNames(root);
    const resultRe = results.size ? new RegExp(`\\b(${[...results].map((n) => n.replace(/\$/g, '\\$')).join('|')})\\b`) : undefined;
    // Catching an error does not guard a query: an UPDATE that succeeds changes data again.
    const hostGuard = (call: TsNode): string | undefined => guardOf(call, (c) => EXISTS_CHECK.test(c) || !!resultRe?.test(c), false);
    const queries: EmbeddedAql[] = [];
    const schemaCalls: SchemaCall[] = [];
    const statements: Span[] = [];
    const comments: CommentSpan[] = [];
    const calls: TsNode[] = [];
    for (const n of descendants(root, (t) => t === 'call_expression' || t === 'comment' || STATEMENT.test(t))) {
      if (n.type === 'comment') {
        const raw = n.text;
        comments.push({ start: n.startIndex, end: n.endIndex, body: raw.startsWith('//') ? raw.slice(2) : raw.replace(/^\/\*+|\*\/$/g, '') });
      } else if (n.type === 'call_expression') calls.push(n);
      else if (n.type !== 'import_statement') statements.push({ start: n.startIndex, end: n.endIndex });
    }
    // Document order puts an outer aql`…` before the fragments nested in it, so a fragment is
    // known to be inlined by the time it comes up.
    for (const call of calls) {
      // Only what runs forward is the migration: a `down` function's drops are its job.
      if (inReverseFunction(call)) continue;
      const { name, object } = callee(call);
      if (isAqlTag(call)) {
        if (x.inlined.has(call.startIndex)) continue;
        const tpl = call.childForFieldName('arguments')!;
        const out = { value: '', offsets: [] as number[] };
        decodeTemplate(tpl, x, out, { n: 0 });
        // A fragment kept for later composition (aql`FILTER …`, aql`SORT …`) is not a query of its own.
        if (!isQueryArgument(call) && !QUERY_START.test(out.value.replace(LEADING_COMMENTS, ''))) continue;
        if (hostGuard(call)) continue;
        queries.push({ start: call.startIndex, end: call.endIndex, aql: finish(out, tpl.endIndex - 1) });
        continue;
      }
      if ((name === 'query' || name === '_query') && object) {
        const arg = queryArgument(call);
        if (arg && !hostGuard(call)) {
          const out = { value: '', offsets: [] as number[] };
          decodeString(arg, x, out, { n: 0 });
          queries.push({ start: call.startIndex, end: call.endIndex, aql: finish(out, arg.endIndex - 1) });
        }
        continue;
      }
      let kind: SchemaCallKind | undefined;
      if (CREATE_METHODS.has(name) && object) kind = 'create';
      else if (name in HANDLE_METHODS && isHandle(object, handles)) kind = HANDLE_METHODS[name];
      if (!kind) continue;
      schemaCalls.push({ start: call.startIndex, end: call.endIndex, kind, method: name, text: short(call.text), guard: guardOf(call) });
    }
    statements.sort((a, b) => a.start - b.start || b.end - a.end);
    return { ok: true, unit: { queries, schemaCalls }, statements, comments };
  } finally {
    tree.delete();
  }
}
