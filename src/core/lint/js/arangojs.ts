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
//  - the schema calls beside them (createCollection, drop, truncate, rename, ensureIndex, …) and the
//    documents inserted with the collection API (save, saveAll, import), with the guard that
//    protects each one (an `exists()` check, try/catch, `.catch(…)`, an overwrite option), if any.
// Code in a function that runs when migrating down (`down`, `rollback`, `beforeDown`, …, however it
// is declared or exported) is not part of the forward migration and is left out.
import type { CommentSpan, Span } from '../types';
import type { Language } from 'web-tree-sitter';
import { firstSyntaxError, parseTree, treeSitterParser, type ParsedTree, type TsNode } from '../treeSitter';

export interface DecodedText {
  readonly value: string;
  /** offsets[i]: file offset of decoded character i; one extra entry for the end. */
  readonly offsets: number[];
}

export interface EmbeddedAql extends Span {
  readonly aql: DecodedText;
}

export type SchemaCallKind = 'create' | 'drop' | 'rename' | 'truncate' | 'ensure-index';

/** A document written with the collection API (`save`, `saveAll`, `import`) rather than AQL. */
export interface DocumentInsert extends Span {
  readonly method: string;
  /** The call's source text, shortened, for messages. */
  readonly text: string;
  /** The written document names its _key: a rerun fails with a unique constraint violation rather than adding a copy. */
  readonly keyed: boolean;
  /** What makes a rerun safe, when something does (an overwrite option, an existence check, …). */
  readonly guard?: string;
}

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
  readonly inserts: readonly DocumentInsert[];
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
/** Collection methods that insert documents; `import` takes `onDuplicate`, the others `overwriteMode`. */
const INSERT_METHODS = new Set(['save', 'saveAll', 'import']);
/** Options that make a repeated insert skip or overwrite the existing document. */
const OVERWRITE_OPTION = /\b(overwriteMode|overwrite|onDuplicate)\s*:/;
const HANDLE_METHODS: Record<string, SchemaCallKind> = { create: 'create', drop: 'drop', rename: 'rename', truncate: 'truncate', dropIndex: 'drop', ensureIndex: 'ensure-index' };
/** Calls that return a handle: db.collection("x"), db.view("x"), …. */
const HANDLE_FACTORY = /\.(collection|edgeCollection|view|graph|analyzer|_collection)\s*\(/;
/** A condition that asks whether the object exists (`exists()`, a wrapper's `collectionExists()`, a list lookup). */
const EXISTS_CHECK = /exists\s*\(|\bdocument\s*\(|\b(collections|listCollections|views|listViews|graphs|listGraphs|analyzers|listAnalyzers|indexes|_collection)\s*\(|\.(includes|some|find|has|indexOf)\s*\(|\bhas[A-Z]\w*\s*\(/i;

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
  // A node's type is asked of WASM on every read: read once.
  const type = f.type;
  if (type === 'identifier') return { name: f.text };
  if (type === 'member_expression') return { name: f.childForFieldName('property')?.text ?? '', object: f.childForFieldName('object') ?? undefined };
  return { name: '' };
}

/** True for `aql` and `<anything>.aql` used as a template tag. */
function isAqlTag(call: TsNode): boolean {
  const args = call.childForFieldName('arguments');
  if (args?.type !== 'template_string') return false;
  const f = call.childForFieldName('function');
  const type = f?.type;
  return type === 'identifier' ? f!.text === 'aql' : type === 'member_expression' && f!.childForFieldName('property')?.text === 'aql';
}

/** Expressions that stand for what they wrap (the type is read once per node: each read is a WASM call). */
const WRAPPERS = new Set(['parenthesized_expression', 'await_expression', 'as_expression', 'non_null_expression', 'satisfies_expression']);

function unwrap(n: TsNode | null | undefined): TsNode | undefined {
  let cur = n ?? undefined;
  while (cur && WRAPPERS.has(cur.type)) {
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
    const exprType = expr?.type;
    if (expr && exprType === 'call_expression' && isAqlTag(expr)) {
      x.inlined.add(expr.startIndex);
      decodeTemplate(expr.childForFieldName('arguments')!, x, out, counter);
    } else if (expr && exprType === 'call_expression' && /^(aql\.)?literal$/.test(expr.childForFieldName('function')?.text ?? '') && stringArg(expr)) {
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
  const type = u?.type;
  return u && (type === 'string' || type === 'template_string') ? u : undefined;
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
  const type = first.type;
  if (type === 'string' || type === 'template_string') return first;
  if (type === 'object') {
    for (const p of first.namedChildren) {
      if (p?.type !== 'pair' || p.childForFieldName('key')?.text.replace(/^["']|["']$/g, '') !== 'query') continue;
      const v = unwrap(p.childForFieldName('value'));
      const vType = v?.type;
      if (v && (vType === 'string' || vType === 'template_string')) return v;
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
const STATEMENT = /(_statement|_declaration)$/;
/** Functions that run when migrating down (migrate-style `down`, arango-migrate's `beforeDown`, …). */
const REVERSE_NAME = /^(before|after)?(down|rollback|revert|undo)$/i;
/** How an AQL query starts; anything else in an aql`…` that is not run directly is a fragment. */
const QUERY_START = /^(FOR|LET|WITH|INSERT|UPDATE|REPLACE|REMOVE|UPSERT|RETURN)\b/i;
const LEADING_COMMENTS = /^(\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*/;
/** `.catch(` right after a call: the call's error is handled. */
const CATCH_AFTER = /^\s*\.\s*catch\s*\(/;
/** Any call worth a closer look names one of these (a call's text includes its callee). */
const INTERESTING_CALL = /\b(aql|_?query|_?create\w*|drop\w*|rename|truncate|ensureIndex|literal|save|saveAll|import)\b/;
/** Ancestors a guard or a direction can come from; only these are kept while walking the tree. */
const CONTEXT_TYPES = new Set([...FUNCTION_TYPES, 'if_statement', 'ternary_expression', 'binary_expression', 'try_statement', 'statement_block', 'program']);

/** Where a call is, which is all a guard needs of it. */
interface CallSpan {
  readonly startIndex: number;
  readonly endIndex: number;
}

/**
 * What the extraction needs of a call that depends on its text only, with offsets relative to the
 * call's start: reading it from the tree costs a WASM call per field, so it is kept by the call's
 * text and reused while the document is edited elsewhere.
 */
interface CallFacts {
  readonly name: string;
  readonly object?: { readonly type: string; readonly text: string };
  readonly aqlTag: boolean;
  /** An aql`…` call: its decoded template, the nested aql`…` calls inlined into it, the template's end. */
  readonly template?: { readonly value: string; readonly offsets: readonly number[]; readonly inlined: readonly number[]; readonly end: number };
  /** A .query(…) call: where its first argument starts, and its query text when it is one. */
  readonly firstArg?: number;
  readonly query?: { readonly value: string; readonly offsets: readonly number[]; readonly inlined: readonly number[]; readonly end: number };
  /** An insert: its argument texts. */
  readonly args?: readonly string[];
}

const FACTS_LIMIT = 20_000;
const factsByText = new Map<string, CallFacts>();

function factsOf(call: TsNode, text: string, dialect: ScriptDialect): CallFacts {
  const start = call.startIndex;
  // The same text may parse differently as JavaScript and as TypeScript.
  const key = `${dialect}\u0000${text.slice(start, call.endIndex)}`;
  const known = factsByText.get(key);
  if (known) return known;
  const rel = (o: number): number => o - start;
  const { name, object } = callee(call);
  const o = unwrap(object);
  const facts: { -readonly [K in keyof CallFacts]: CallFacts[K] } = { name, object: object ? { type: o?.type ?? '', text: o?.text ?? '' } : undefined, aqlTag: isAqlTag(call) };
  if (facts.aqlTag) {
    const tpl = call.childForFieldName('arguments')!;
    const x: Extractor = { text, inlined: new Set() };
    const out = { value: '', offsets: [] as number[] };
    decodeTemplate(tpl, x, out, { n: 0 });
    facts.template = { value: out.value, offsets: out.offsets.map(rel), inlined: [...x.inlined].map(rel), end: rel(tpl.endIndex - 1) };
  } else if ((name === 'query' || name === '_query') && object) {
    const firstArg = unwrap(call.childForFieldName('arguments')?.namedChildren.find((c): c is TsNode => !!c && c.type !== 'comment'));
    if (firstArg) facts.firstArg = rel(firstArg.startIndex);
    const arg = queryArgument(call);
    if (arg) {
      const x: Extractor = { text, inlined: new Set() };
      const out = { value: '', offsets: [] as number[] };
      decodeString(arg, x, out, { n: 0 });
      facts.query = { value: out.value, offsets: out.offsets.map(rel), inlined: [...x.inlined].map(rel), end: rel(arg.endIndex - 1) };
    }
  } else if (INSERT_METHODS.has(name)) {
    facts.args = call.childForFieldName('arguments')?.namedChildren.filter((c): c is TsNode => !!c && c.type !== 'comment').map((a) => a.text) ?? [];
  }
  if (factsByText.size >= FACTS_LIMIT) factsByText.clear();
  factsByText.set(key, facts);
  return facts;
}

/** Forgets every kept call (tests compare extraction with and without them). */
export function forgetArangoJsCallFacts(): void {
  factsByText.clear();
}

function isHandleObject(o: CallFacts['object'], handles: ReadonlySet<string>): boolean {
  if (!o) return false;
  if (o.type === 'identifier') return handles.has(o.text);
  if (o.type === 'call_expression') return HANDLE_FACTORY.test(o.text.split('\n')[0]!);
  return false;
}

/** A span of the file. */
interface At {
  readonly start: number;
  readonly end: number;
}

function isInside(n: CallSpan, outer: At | undefined): boolean {
  return !!outer && n.startIndex >= outer.start && n.endIndex <= outer.end;
}

/** What a guard reads of a context node, read from the tree once when the node is captured. */
type GuardFacts =
  | { readonly kind: 'condition'; readonly condition?: At & { readonly text: string } }
  | { readonly kind: 'logical'; readonly left?: string; readonly right?: At }
  | { readonly kind: 'try'; readonly body?: At; readonly handler: boolean }
  | { readonly kind: 'none' };

/**
 * An enclosing node that may guard a call. Parent links of tree-sitter nodes are recomputed from
 * the root on every access, so the walk keeps its own ancestor stack (by ranges).
 */
interface Frame {
  readonly type: string;
  readonly start: number;
  readonly end: number;
  /** A function that runs only when migrating down. */
  readonly reverse: boolean;
  readonly guard: GuardFacts;
  /** Early-exit `if` statements of this block (statement_block, program): their end and condition. */
  readonly exits: { end: number; condition: string }[];
}

/** The name a function is known by: its own, or the variable, property or export it is assigned to; and where that name is written. */
function functionName(fn: TsNode): { name?: string; from: number } {
  const own = fn.childForFieldName('name');
  if (own) return { name: own.text.replace(/^["']|["']$/g, ''), from: fn.startIndex };
  const p = fn.parent;
  const from = p ? p.startIndex : fn.startIndex;
  if (p?.type === 'variable_declarator') return { name: p.childForFieldName('name')?.text, from };
  if (p?.type === 'pair') return { name: p.childForFieldName('key')?.text.replace(/^["']|["']$/g, ''), from };
  if (p?.type === 'assignment_expression') {
    const left = p.childForFieldName('left');
    return { name: left?.type === 'member_expression' ? left.childForFieldName('property')?.text : left?.text, from };
  }
  return { name: undefined, from };
}

const spanOf = (n: TsNode | null | undefined): At | undefined => (n ? { start: n.startIndex, end: n.endIndex } : undefined);

function guardFacts(node: TsNode, type: string): GuardFacts {
  if (type === 'if_statement' || type === 'ternary_expression') {
    const cond = node.childForFieldName('condition');
    return { kind: 'condition', condition: cond ? { start: cond.startIndex, end: cond.endIndex, text: cond.text } : undefined };
  }
  if (type === 'binary_expression') {
    if (!/^(\|\||&&)$/.test(node.childForFieldName('operator')?.text ?? '')) return { kind: 'none' };
    return { kind: 'logical', left: node.childForFieldName('left')?.text, right: spanOf(node.childForFieldName('right')) };
  }
  if (type === 'try_statement') return { kind: 'try', body: spanOf(node.childForFieldName('body')), handler: !!node.childForFieldName('handler') };
  return { kind: 'none' };
}

/** What protects a call on a rerun, looking outwards to its function; `checks` says whether a condition asks what is there. */
function guardOf(call: CallSpan, frames: readonly Frame[], text: string, checks: (condition: string) => boolean, catchCounts: boolean): string | undefined {
  if (catchCounts && CATCH_AFTER.test(text.slice(call.endIndex, call.endIndex + 40))) return '.catch()';
  for (let i = frames.length - 1; i >= 0; i--) {
    const { type, guard: g } = frames[i]!;
    if (g.kind === 'condition') {
      if (g.condition && !isInside(call, g.condition) && checks(g.condition.text)) return 'an existence check';
    } else if (g.kind === 'logical') {
      if (isInside(call, g.right) && g.left !== undefined && checks(g.left)) return 'an existence check';
    } else if (g.kind === 'try') {
      if (catchCounts && isInside(call, g.body) && g.handler) return 'try/catch';
    } else if (type === 'statement_block' || type === 'program') {
      // An earlier `if (await col.exists()) return;` in the same block.
      if (frames[i]!.exits.some((e) => e.end <= call.startIndex && checks(e.condition))) return 'an early return on an existence check';
    } else if (FUNCTION_TYPES.has(type)) {
      // A guard inside a helper function does not reach its callers; stop at the function.
      break;
    }
  }
  return undefined;
}

type CaptureName = 'call' | 'comment' | 'decl' | 'statement';

interface Outline {
  /** Every node type the extractor looks at. */
  readonly types: string[];
  /** What a node of each type is, besides being a context (CONTEXT_TYPES). */
  readonly names: Map<string, CaptureName>;
}

const outlines = new Map<Language, Outline>();

/**
 * The node types the extractor looks at: calls, comments, statements, declarations, the context
 * nodes a guard or a direction comes from, and `if`s (an early exit when it sits directly in a
 * block). Node types a grammar lacks are left out, so one builder serves both grammars.
 */
function outlineOf(language: Language): Outline {
  let o = outlines.get(language);
  if (o) return o;
  const has = (t: string): boolean => language.idForNodeType(t, true) !== null;
  const names = new Map<string, CaptureName>([
    ['call_expression', 'call'],
    ['comment', 'comment'],
    ['variable_declarator', 'decl'],
    ['assignment_expression', 'decl'],
  ]);
  for (let id = 0; id < language.nodeTypeCount; id++) {
    const t = language.nodeTypeForId(id);
    if (t && language.nodeTypeIsNamed(id) && STATEMENT.test(t) && !CONTEXT_TYPES.has(t) && t !== 'import_statement' && !names.has(t)) names.set(t, 'statement');
  }
  const types = [...new Set([...names.keys(), ...CONTEXT_TYPES, 'if_statement'])].filter(has);
  o = { types, names };
  outlines.set(language, o);
  return o;
}

/**
 * A node the extractor looks at, with what it needs of it read from the tree when it is captured:
 * offsets only (no tree node), so the captures of a document's unchanged parts carry over to its
 * next version, moved by the edit's length.
 */
interface Capture {
  readonly name: CaptureName | 'context' | 'exit';
  readonly type: string;
  readonly start: number;
  readonly end: number;
  readonly rank: number;
  /** context: a function that runs when migrating down; from where its name is written. */
  readonly reverse?: boolean;
  readonly nameFrom?: number;
  /** context: what a guard reads of it. */
  readonly guard?: GuardFacts;
  /** call: the call as the extraction reads it (undefined: not a call worth a look). */
  readonly facts?: CallFacts;
  /** comment: its body. */
  readonly body?: string;
  /** decl: the name bound, and whether to a query result or to a handle. */
  readonly decl?: { readonly id: string; readonly result: boolean; readonly handle: boolean };
  /** exit: the condition of an `if` whose body starts with return/throw/continue/break. */
  readonly exit?: string;
}

function capture(name: Capture['name'], node: TsNode, type: string, start: number, end: number, text: string, dialect: ScriptDialect): Capture {
  if (name === 'context') {
    const fn = FUNCTION_TYPES.has(type) ? functionName(node) : undefined;
    return { name, type, start, end, rank: 0, reverse: !!fn && REVERSE_NAME.test(fn.name ?? ''), nameFrom: fn?.from, guard: guardFacts(node, type) };
  }
  if (name === 'call') {
    const facts = INTERESTING_CALL.test(text.slice(start, Math.min(end, start + 400))) ? factsOf(node, text, dialect) : undefined;
    return { name, type, start, end, rank: 1, facts };
  }
  if (name === 'comment') {
    const raw = text.slice(start, end);
    return { name, type, start, end, rank: 1, body: raw.startsWith('//') ? raw.slice(2) : raw.replace(/^\/\*+|\*\/$/g, '') };
  }
  if (name === 'decl') {
    const declarator = type === 'variable_declarator';
    const id = node.childForFieldName(declarator ? 'name' : 'left');
    const value = unwrap(node.childForFieldName(declarator ? 'value' : 'right'));
    let decl: Capture['decl'];
    if (id?.type === 'identifier' && value) {
      const valueText = value.text;
      decl = {
        id: id.text,
        result: /\baql\s*`|\.(_?query|execute|document|exists)\s*\(/.test(valueText),
        handle: value.type === 'call_expression' && (HANDLE_FACTORY.test(valueText.split('\n')[0]!) || CREATE_METHODS.has(callee(value).name)),
      };
    }
    return { name, type, start, end, rank: 1, decl };
  }
  if (name === 'exit') {
    const cond = node.childForFieldName('condition');
    const body = node.childForFieldName('consequence');
    const first = body?.type === 'statement_block' ? body.namedChildren.find((c) => c && c.type !== 'comment')?.text : body?.text;
    return { name, type, start, end, rank: 1, exit: cond && first && EXIT.test(first) ? cond.text : undefined };
  }
  return { name, type, start, end, rank: 1 };
}

/** The captures of the nodes that intersect [from, to) of the tree (the whole tree without a range). */
function captureNodes(root: TsNode, text: string, language: Language, dialect: ScriptDialect, range?: { fromRow: number; toRow: number }): Capture[] {
  // The nodes are collected inside WASM (descendantsOfType), in document order, which is much
  // cheaper than visiting every node from JavaScript. A node's end is asked of WASM on every read:
  // it is read once per node.
  const { types, names } = outlineOf(language);
  const captures: Capture[] = [];
  const nodes = range ? root.descendantsOfType(types, { row: range.fromRow, column: 0 }, { row: range.toRow, column: 0 }) : root.descendantsOfType(types);
  for (const node of nodes) {
    if (!node) continue;
    const type = node.type;
    const start = node.startIndex;
    const end = node.endIndex;
    if (CONTEXT_TYPES.has(type)) captures.push(capture('context', node, type, start, end, text, dialect));
    const name = names.get(type);
    if (name) captures.push(capture(name, node, type, start, end, text, dialect));
    // An `if` directly in a block or the program may be an early exit for what follows it.
    if (type === 'if_statement') {
      // Asking for a parent walks down from the root: once.
      const parentType = node.parent?.type;
      if (parentType === 'statement_block' || parentType === 'program') captures.push(capture('exit', node, type, start, end, text, dialect));
    }
  }
  return captures;
}

/**
 * Moves a capture by `delta` characters, every offset it holds, in place: the kept captures of a
 * document belong to it alone and are replaced by the moved ones.
 */
function move(c: Capture, delta: number): void {
  const m = c as { start: number; end: number; nameFrom?: number };
  m.start += delta;
  m.end += delta;
  if (m.nameFrom !== undefined) m.nameFrom += delta;
  const g = c.guard;
  const spans = g?.kind === 'condition' ? [g.condition] : g?.kind === 'logical' ? [g.right] : g?.kind === 'try' ? [g.body] : [];
  for (const span of spans as ({ start: number; end: number } | undefined)[]) {
    if (!span) continue;
    span.start += delta;
    span.end += delta;
  }
}

/** The captures of each recently parsed document (by file and dialect), with the text they are of. */
const CAPTURES_KEPT = 8;
const keptCaptures = new Map<string, { text: string; captures: Capture[] }>();

/** Forgets the captures kept for documents (tests compare with and without them). */
export function forgetArangoJsCaptures(): void {
  keptCaptures.clear();
}

/**
 * The captures of the whole tree. For a document parsed incrementally, only the nodes that
 * intersect the lines of the edit and of what tree-sitter found changed are read from the tree;
 * the rest are the previous version's captures, moved.
 */
function capturesOf(parsed: ParsedTree, text: string, language: Language, dialect: ScriptDialect, file: string | undefined): Capture[] {
  const root = parsed.tree.rootNode;
  const key = file === undefined ? undefined : `${dialect}\u0000${file}`;
  const prev = key === undefined ? undefined : keptCaptures.get(key);
  if (key !== undefined) keptCaptures.delete(key);
  let captures: Capture[] | undefined;
  const changed = parsed.changed;
  if (prev && changed && prev.text === changed.previousText) {
    const delta = text.length - prev.text.length;
    let from = changed.edit.startIndex;
    let to = changed.edit.newEndIndex;
    for (const r of changed.ranges) {
      from = Math.min(from, r.startIndex);
      to = Math.max(to, r.endIndex);
    }
    // Whole lines: from the start of the first line to the start of the line after the last.
    from = text.lastIndexOf('\n', from - 1) + 1;
    const nl = text.indexOf('\n', to);
    to = nl === -1 ? text.length : nl + 1;
    const oldTo = to - delta;
    let fromRow = 0;
    for (let i = text.indexOf('\n'); i !== -1 && i < from; i = text.indexOf('\n', i + 1)) fromRow++;
    let toRow = fromRow;
    for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) toRow++;
    const fresh = captureNodes(root, text, language, dialect, to >= text.length ? undefined : { fromRow, toRow });
    if (to >= text.length) captures = fresh;
    else {
      const kept: Capture[] = [];
      let stale = false;
      for (const c of prev.captures) {
        if (!(c.end <= from || c.start >= oldTo)) continue;
        // A function's direction comes from the name it is assigned to, which may sit before it.
        if (c.nameFrom !== undefined && c.nameFrom < oldTo && c.end > from) stale = true;
        if (c.start >= oldTo && delta !== 0) move(c, delta);
        kept.push(c);
      }
      if (!stale) captures = [...kept, ...fresh];
    }
  }
  captures ??= captureNodes(root, text, language, dialect);
  // Outer before inner: by start, then the longer first; the context capture of a node before its other captures.
  captures.sort((x, y) => x.start - y.start || y.end - x.end || x.rank - y.rank);
  if (key !== undefined) {
    if (keptCaptures.size >= CAPTURES_KEPT) keptCaptures.delete(keptCaptures.keys().next().value!);
    keptCaptures.set(key, { text, captures });
  }
  return captures;
}

interface FoundCall {
  readonly start: number;
  readonly end: number;
  readonly facts: CallFacts;
  /** Its context ancestors, outermost first. */
  readonly frames: readonly Frame[];
}

/** The captures in document order with a stack of context ancestors: calls, comments, statements, bound names. */
function walk(captures: readonly Capture[]) {
  const calls: FoundCall[] = [];
  const comments: CommentSpan[] = [];
  const statements: Span[] = [];
  /** Names bound to a handle: `const users = db.collection("users")`. */
  const handles = new Set<string>();
  /** Names bound to what a query returned: `const existing = await db.query(aql\`…\`)`. */
  const results = new Set<string>();
  const stack: (Frame & { readonly id: Capture })[] = [];
  let lastContext: Capture | undefined;
  for (const c of captures) {
    const { name, start, end } = c;
    while (stack.length > 0 && !(end <= stack[stack.length - 1]!.end && start >= stack[stack.length - 1]!.start)) stack.pop();
    const top = stack[stack.length - 1];
    // The same node's context capture (same type and span) just before: it is not its own ancestor.
    const self = top !== undefined && lastContext === top.id && top.start === start && top.end === end && top.type === c.type;
    if (name === 'context') {
      if (self) continue;
      stack.push({ id: c, type: c.type, start, end, reverse: !!c.reverse, guard: c.guard ?? { kind: 'none' }, exits: [] });
      lastContext = c;
      if (STATEMENT.test(c.type)) statements.push({ start, end });
      continue;
    }
    // Frames strictly around this node (a context capture of the node itself is not its ancestor).
    const frames = self ? stack.slice(0, -1) : stack;
    if (name === 'call') {
      if (c.facts) calls.push({ start, end, facts: c.facts, frames: [...frames] });
    } else if (name === 'comment') comments.push({ start, end, body: c.body! });
    else if (name === 'statement') statements.push({ start, end });
    else if (name === 'decl') {
      if (c.decl?.result) results.add(c.decl.id);
      if (c.decl?.handle) handles.add(c.decl.id);
    } else if (name === 'exit') {
      // The if_statement sits directly in the block that is the innermost frame around it.
      const block = frames[frames.length - 1];
      if (block && (block.type === 'statement_block' || block.type === 'program') && c.exit !== undefined) block.exits.push({ end, condition: c.exit });
    }
  }
  return { calls, comments, statements, handles, results };
}

export async function parseArangoJs(text: string, dialect: ScriptDialect, file?: string): Promise<ArangoJsParse> {
  const parser = await treeSitterParser(GRAMMAR[dialect]);
  const parsed = parseTree(parser, GRAMMAR[dialect], text, file, { changedRanges: true });
  if (!parsed) return { ok: false, start: 0, end: Math.min(1, text.length), message: `the ${dialect} parser returned no tree` };
  try {
    const root = parsed.tree.rootNode;
    const label = dialect === 'typescript' ? 'TypeScript' : 'JavaScript';
    const err = firstSyntaxError(root, label);
    if (err) return { ok: false, ...err };
    const x: Extractor = { text, inlined: new Set() };
    const { calls, comments, statements, handles, results } = walk(capturesOf(parsed, text, parser.language!, dialect, file));
    // A query that only runs when the code found nothing (`if (!existing.length) { INSERT … }`) is
    // guarded by its host: a rerun finds the document and skips it, so its AQL is not linted.
    // Catching an error does not guard a query: an UPDATE that succeeds changes data again.
    const resultRe = results.size ? new RegExp(`\\b(${[...results].map((n) => n.replace(/\$/g, '\\$')).join('|')})\\b`) : undefined;
    const queryGuard = (c: string): boolean => EXISTS_CHECK.test(c) || !!resultRe?.test(c);
    const schemaGuard = (c: string): boolean => EXISTS_CHECK.test(c);
    /** Start offsets of the first argument of every `.query(…)` call: an aql`…` there is run as it is. */
    const queryArguments = new Set<number>();
    const queries: EmbeddedAql[] = [];
    const schemaCalls: SchemaCall[] = [];
    const inserts: DocumentInsert[] = [];
    // Document order puts an outer call before the calls nested in it, so a fragment is known to be
    // inlined, and a query argument to be one, by the time it comes up.
    for (const { start, end, facts, frames } of calls) {
      // Only what runs forward is the migration: a `down` function's drops are its job.
      if (frames.some((f) => f.reverse)) continue;
      const call: CallSpan = { startIndex: start, endIndex: end };
      const at = start;
      const abs = (offsets: readonly number[]): number[] => offsets.map((o) => o + at);
      const { name, object } = facts;
      if (facts.aqlTag) {
        if (x.inlined.has(at)) continue;
        const tpl = facts.template!;
        for (const i of tpl.inlined) x.inlined.add(i + at);
        // A fragment kept for later composition (aql`FILTER …`, aql`SORT …`) is not a query of its own.
        if (!queryArguments.has(at) && !QUERY_START.test(tpl.value.replace(LEADING_COMMENTS, ''))) continue;
        if (guardOf(call, frames, text, queryGuard, false)) continue;
        queries.push({ start: at, end: call.endIndex, aql: finish({ value: tpl.value, offsets: abs(tpl.offsets) }, tpl.end + at) });
        continue;
      }
      if ((name === 'query' || name === '_query') && object) {
        if (facts.firstArg !== undefined) queryArguments.add(facts.firstArg + at);
        const q = facts.query;
        if (q && !guardOf(call, frames, text, queryGuard, false)) {
          // Nested aql`…` fragments of the query are part of it, not queries of their own.
          for (const i of q.inlined) x.inlined.add(i + at);
          queries.push({ start: at, end: call.endIndex, aql: finish({ value: q.value, offsets: abs(q.offsets) }, q.end + at) });
        }
        continue;
      }
      if (INSERT_METHODS.has(name) && isHandleObject(object, handles)) {
        const args = facts.args ?? [];
        const keyed = /\b_key\b/.test(args[0] ?? '');
        const options = args.slice(1).some((a) => OVERWRITE_OPTION.test(a)) ? 'an overwrite option' : undefined;
        // Catching the error guards a keyed insert (the rerun's unique-constraint error), not one that adds a copy.
        const guard = options ?? guardOf(call, frames, text, queryGuard, keyed);
        inserts.push({ start: at, end: call.endIndex, method: name, text: short(text.slice(at, call.endIndex)), keyed, guard });
        continue;
      }
      let kind: SchemaCallKind | undefined;
      if (CREATE_METHODS.has(name) && object) kind = 'create';
      else if (name in HANDLE_METHODS && isHandleObject(object, handles)) kind = HANDLE_METHODS[name];
      if (!kind) continue;
      schemaCalls.push({ start: at, end: call.endIndex, kind, method: name, text: short(text.slice(at, call.endIndex)), guard: guardOf(call, frames, text, schemaGuard, true) });
    }
    statements.sort((a, b) => a.start - b.start || b.end - a.end);
    return { ok: true, unit: { queries, schemaCalls, inserts }, statements, comments };
  } finally {
    parsed.release();
  }
}
