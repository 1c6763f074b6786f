// Incremental Ruby parsing for the editor: the language server lints a 2,000-line seed file or
// migration on every keystroke, and a full prism parse (plus turning its serialised AST into
// JavaScript objects) is most of that time. When an edit stays inside one statement of a body
// (the file's top level, or a class, module or method body), only that statement is parsed again,
// on its own, with the local variables that are defined before it; the new nodes take its place
// and every location after it moves by the edit's length. Whenever the piece parsed alone could
// read differently from the same text in the whole file, the file is parsed whole instead, so the
// result is always the full parse's (the unit tests compare both on random edits).
import type * as Prism from '@ruby/prism';
import type { ParseResult } from '@ruby/prism/src/deserialize.js';

type RubyNode = Prism.Node;

// kind as in ./prism.ts (not imported from there: that module imports this one).
function kind(node: RubyNode | null | undefined): string {
  return node ? node.constructor.name : '';
}

/**
 * Node classes whose compactChildNodes() in @ruby/prism 1.9 drops its list fields (it calls
 * `compact.concat(list)` and discards the result): a method's parameters, `a, b = …` targets,
 * `when` clauses, rescue lists. A scope's local variables and the rules' walks must include them,
 * so these use childNodes().
 */
const COMPACT_DROPS_LISTS = new Set(['ArrayPatternNode', 'BlockParametersNode', 'CaseMatchNode', 'CaseNode', 'FindPatternNode', 'HashPatternNode', 'MultiTargetNode', 'MultiWriteNode', 'ParametersNode', 'RescueNode', 'WhenNode']);

/** A node's child nodes, with the list fields compactChildNodes() drops (see above). */
export function children(node: RubyNode): RubyNode[] {
  const n = node as unknown as { compactChildNodes(): RubyNode[]; childNodes(): (RubyNode | null)[] };
  return COMPACT_DROPS_LISTS.has(kind(node)) ? n.childNodes().filter((c): c is RubyNode => c !== null) : n.compactChildNodes();
}

export type PrismParse = (source: string, options?: { scopes?: string[][] }) => ParseResult;

/** What parseRuby needs of a parse: the program, its comments, its errors. */
export interface PrismOutcome {
  readonly value: Prism.ProgramNode;
  /** The scope locals worked out while splicing, for the next splice. */
  readonly locals?: WeakMap<RubyNode, Map<string, number> | undefined>;
  /**
   * After a splice into a nested body: the top-level statement whose subtree changed in place
   * (what is kept per top-level statement node must be worked out again for it).
   */
  readonly touched?: RubyNode;
  readonly comments: readonly { location: Prism.Location }[];
  readonly errors: readonly { message: string; location: Prism.Location; level: string }[];
}

interface Previous {
  readonly bytes: Uint8Array;
  readonly value: Prism.ProgramNode;
  readonly comments: { location: Prism.Location }[];
  /** firstWrites of the scopes asked about so far (kept up to date through each splice). */
  readonly locals: WeakMap<RubyNode, Map<string, number> | undefined>;
}

/** Open documents kept (by file); a language server has a handful open at once. */
const KEPT = 8;
const previous = new Map<string, Previous>();

const SCOPES = new Set(['ProgramNode', 'ClassNode', 'ModuleNode', 'SingletonClassNode', 'DefNode']);
const LOCAL_WRITES = new Set(['LocalVariableWriteNode', 'LocalVariableTargetNode', 'LocalVariableOperatorWriteNode', 'LocalVariableAndWriteNode', 'LocalVariableOrWriteNode']);
/**
 * Text that a piece parsed alone reads differently from the whole file: jumps and `yield` (valid
 * or not depending on what is around them), the line number, BEGIN/END blocks, the data section
 * and embedded documents, and a line continuation at the end of the piece.
 */
const CONTEXT_SENSITIVE = /\b(yield|break|next|redo|retry|return|super|__LINE__|__method__)\b|\b(BEGIN|END)\s*\{|^__END__\s*$|^=(begin|end)\b|\\\s*$|^\s*(\.|&\.|&&|\|\||and\b|or\b)/m;

const decoder = new TextDecoder();

/** How many parses reused the previous one and how many were whole (for tests and profiling). */
export const rubyParseCounts = { spliced: 0, whole: 0 };

function isNode(v: unknown): v is RubyNode {
  return typeof v === 'object' && v !== null && 'nodeID' in v && 'location' in v;
}

/** Per node class: its location fields and the fields that may hold nodes (every field is set by the constructor). */
const shapes = new Map<unknown, { readonly locations: readonly string[]; readonly nodes: readonly string[] }>();

function shapeOf(n: Record<string, unknown>): { readonly locations: readonly string[]; readonly nodes: readonly string[] } {
  let shape = shapes.get(n.constructor);
  if (!shape) {
    const keys = Object.keys(n);
    // prism names every location field `location` or `…Loc`; strings, numbers and booleans never hold nodes.
    const isLocation = (k: string): boolean => k === 'location' || k.endsWith('Loc');
    shape = { locations: keys.filter(isLocation), nodes: keys.filter((k) => !isLocation(k) && (n[k] === null || typeof n[k] === 'object')) };
    shapes.set(n.constructor, shape);
  }
  return shape;
}

/** Calls `f` on every location of `root`'s subtree (each location object once). */
function eachLocation(root: RubyNode, f: (loc: Prism.Location) => void): void {
  const stack: RubyNode[] = [root];
  while (stack.length) {
    const n = stack.pop()! as unknown as Record<string, unknown>;
    const { locations, nodes } = shapeOf(n);
    for (const k of locations) {
      const loc = n[k] as Prism.Location | null;
      if (loc) f(loc);
    }
    for (const k of nodes) {
      const v = n[k];
      if (v === null || typeof v !== 'object') continue;
      if (Array.isArray(v)) {
        for (const e of v) if (isNode(e)) stack.push(e);
      } else if (isNode(v)) stack.push(v);
    }
  }
}

const end = (loc: Prism.Location): number => loc.startOffset + loc.length;

/**
 * Every location of each top-level statement's subtree, in a flat list. Moving the tree after an
 * edit walked every node of it (most of an edit's time in a 2,000-line seed file); a top-level
 * statement that the splice does not change keeps its nodes, so its list stays valid.
 */
const flatLocations = new WeakMap<RubyNode, { readonly list: Prism.Location[]; maxEnd: number }>();

function locationsOf(stmt: RubyNode): { readonly list: Prism.Location[]; maxEnd: number } {
  let flat = flatLocations.get(stmt);
  if (!flat) {
    const list: Prism.Location[] = [];
    let maxEnd = -1;
    eachLocation(stmt, (loc) => {
      list.push(loc);
      maxEnd = Math.max(maxEnd, end(loc));
    });
    flatLocations.set(stmt, (flat = { list, maxEnd }));
  }
  return flat;
}

/**
 * Moves the program's locations after an edit of the bytes before `oldEnd` by `delta`: those
 * starting at or after it move, those around it grow. Only `touched`'s subtree (whose nodes
 * change) is walked; a statement whose locations all end before `oldEnd` is skipped.
 */
function moveProgram(program: Prism.ProgramNode, touched: RubyNode | undefined, oldEnd: number, delta: number): void {
  const move = (loc: Prism.Location): void => {
    if (loc.startOffset >= oldEnd) loc.startOffset += delta;
    else if (loc.startOffset + loc.length >= oldEnd) loc.length += delta;
  };
  for (const n of [program, program.statements] as RubyNode[]) {
    const r = n as unknown as Record<string, unknown>;
    for (const k of shapeOf(r).locations) {
      const loc = r[k] as Prism.Location | null;
      if (loc) move(loc);
    }
  }
  for (const s of program.statements.body) {
    if (s === touched) {
      flatLocations.delete(s);
      eachLocation(s, move);
      continue;
    }
    const flat = locationsOf(s);
    if (flat.maxEnd < oldEnd) continue;
    flat.maxEnd += delta;
    const list = flat.list;
    for (let i = 0; i < list.length; i++) {
      const loc = list[i]!;
      if (loc.startOffset >= oldEnd) loc.startOffset += delta;
      else if (loc.startOffset + loc.length >= oldEnd) loc.length += delta;
    }
  }
}

/** Whether `node`'s subtree has a node whose kind passes `test`. */
function contains(node: RubyNode, test: (kind: string) => boolean): boolean {
  const stack: RubyNode[] = [node];
  while (stack.length) {
    const n = stack.pop()!;
    if (test(kind(n))) return true;
    stack.push(...children(n));
  }
  return false;
}

/** Names of local variables written anywhere in `node`'s subtree. */
function writtenLocals(node: RubyNode): Set<string> {
  const out = new Set<string>();
  const stack: RubyNode[] = [node];
  while (stack.length) {
    const n = stack.pop()!;
    if (LOCAL_WRITES.has(kind(n))) out.add((n as Prism.LocalVariableWriteNode).name);
    stack.push(...children(n));
  }
  return out;
}

/**
 * Where each local variable of `scope` is first defined, relative to the scope's start: a method's
 * parameters (at -1), and what is assigned outside blocks and nested scopes (a name first assigned
 * inside a block is that block's own). Undefined when the scope forwards arguments (`...`), which
 * is not passed on.
 */
function firstWrites(scope: RubyNode): Map<string, number> | undefined {
  const base = scope.location.startOffset;
  const out = new Map<string, number>();
  const stack: RubyNode[] = [];
  if (kind(scope) === 'DefNode') {
    const def = scope as Prism.DefNode;
    if (def.parameters) {
      const params: RubyNode[] = [def.parameters];
      while (params.length) {
        const p = params.pop()!;
        const k = kind(p);
        if (k === 'ForwardingParameterNode') return undefined;
        const name = (p as { name?: unknown }).name;
        if (k.endsWith('ParameterNode') && typeof name === 'string') out.set(name, -1);
        params.push(...children(p));
      }
    }
    if (def.body) stack.push(def.body);
  } else {
    stack.push(...children(scope));
  }
  addWrites(stack, base, out);
  return out;
}

/** Adds the first local variable writes of the subtrees in `stack` (outside blocks and nested scopes) to `out`, relative to `base`. */
function addWrites(stack: RubyNode[], base: number, out: Map<string, number>): void {
  while (stack.length) {
    const n = stack.pop()!;
    const k = kind(n);
    if (SCOPES.has(k) || k === 'BlockNode' || k === 'LambdaNode') continue;
    if (LOCAL_WRITES.has(k)) {
      const name = (n as Prism.LocalVariableWriteNode).name;
      const at = n.location.startOffset - base;
      if (!(out.get(name)! <= at)) out.set(name, at);
    }
    stack.push(...children(n));
  }
}

/** The body of a scope node that holds statements, if it is a plain list of statements. */
function bodyOf(node: RubyNode): Prism.StatementsNode | undefined {
  const k = kind(node);
  const body = k === 'ProgramNode' ? (node as Prism.ProgramNode).statements : SCOPES.has(k) ? (node as Prism.DefNode).body : null;
  return kind(body) === 'StatementsNode' ? (body as Prism.StatementsNode) : undefined;
}

/**
 * The innermost scope body with a statement whose piece (from its start to the next statement's)
 * holds the changed bytes [from, to) strictly inside, or undefined.
 */
function pieceFor(program: Prism.ProgramNode, from: number, to: number): { scope: RubyNode; outer: RubyNode[]; body: Prism.StatementsNode; index: number } | undefined {
  let scope: RubyNode = program;
  const outer: RubyNode[] = [];
  for (;;) {
    const body = bodyOf(scope);
    if (!body) return undefined;
    const stmts = body.body;
    let i = stmts.length - 1;
    while (i >= 0 && stmts[i]!.location.startOffset >= from) i--;
    if (i < 0) return undefined;
    const s = stmts[i]!;
    // A nested scope that holds the edit in one of its statements is the better piece.
    if (SCOPES.has(kind(s)) && to < end(s.location)) {
      const inner = bodyOf(s);
      if (inner && inner.body.length && inner.body[0]!.location.startOffset < from) {
        outer.push(scope);
        scope = s;
        continue;
      }
    }
    const next = stmts[i + 1];
    if (!next || to >= next.location.startOffset) return undefined;
    return { scope, outer, body, index: i };
  }
}

/** A parse of `bytes` (the document's new text) that reuses the previous parse where it can, or undefined. */
function spliced(parse: PrismParse, prev: Previous, bytes: Uint8Array): PrismOutcome | undefined {
  const old = prev.bytes;
  let from = 0;
  const max = Math.min(old.length, bytes.length);
  while (from < max && old[from] === bytes[from]) from++;
  let tail = 0;
  while (tail < max - from && old[old.length - 1 - tail] === bytes[bytes.length - 1 - tail]) tail++;
  const oldTo = old.length - tail;
  const delta = bytes.length - old.length;
  const piece = pieceFor(prev.value, from, oldTo);
  if (!piece) return undefined;
  const { scope, outer, body, index } = piece;
  const stmt = body.body[index]!;
  const start = stmt.location.startOffset;
  if (from <= start) return undefined;
  const next = body.body[index + 1]!;
  const oldEnd = next.location.startOffset;
  // The piece is parsed between its neighbours (the statement before it, if any, and the one after
  // it with its heredocs, up to the start of the one after that): an edit that makes the piece run
  // on into the next statement (`default:` at a line's end), or the next one continue it, shows as
  // neighbours that are not what they were.
  const afterNext = body.body[index + 2];
  if (!afterNext) return undefined;
  const before = index > 0 ? body.body[index - 1]! : undefined;
  const windowStart = before?.location.startOffset ?? start;
  const windowEnd = afterNext.location.startOffset + delta;
  const source = decoder.decode(bytes.subarray(start, oldEnd + delta));
  // The window and the edited statement each start their line, so no heredoc of an earlier
  // statement has its body in the piece (`foo(<<~A); bar` puts A's body after bar's line).
  const startsLine = (at: number): boolean => at === 0 || /^[ \t]*$/.test(decoder.decode(old.subarray(old.lastIndexOf(10, at - 1) + 1, at)));
  if (!startsLine(windowStart) || !startsLine(start)) return undefined;
  if (CONTEXT_SENSITIVE.test(source) || !/\n[ \t]*$/.test(source) || /^\s*(\.|&\.|&&|\|\||and\b|or\b)/.test(decoder.decode(bytes.subarray(oldEnd + delta, oldEnd + delta + 8)))) return undefined;
  if (!prev.locals.has(scope)) prev.locals.set(scope, firstWrites(scope));
  const writes = prev.locals.get(scope);
  if (!writes) return undefined;
  const base = scope.location.startOffset;
  const locals = [...writes].filter(([, rel]) => base + rel < windowStart).map(([name]) => name);
  // prism's JavaScript options writer counts a name's length in UTF-16 units, not bytes: a
  // non-ASCII local name would corrupt the options, so such a scope is parsed whole.
  if (locals.some((name) => /[^\u0000-\u007f]/.test(name))) return undefined;
  let result: ParseResult;
  try {
    result = parse(decoder.decode(bytes.subarray(windowStart, windowEnd)), { scopes: [locals] });
  } catch {
    // Whatever went wrong with the piece, the whole parse decides (and reports it if it recurs).
    return undefined;
  }
  if (result.errors.length || result.magicComments.length || result.dataLoc) return undefined;
  const all = result.value.statements.body;
  const same = (n: RubyNode | undefined, o: RubyNode, shift: number): boolean => !!n && kind(n) === kind(o) && n.location.startOffset + windowStart === o.location.startOffset + shift && n.location.length === o.location.length;
  const first = before ? 1 : 0;
  if (all.length < first + 2 || (before && !same(all[0], before, 0)) || !same(all[all.length - 1], next, delta)) return undefined;
  const fresh = all.slice(first, -1);
  // The new text must be the same kind of piece: statements from its first byte on, and assigning
  // the same local variables (later statements read a name as a variable or a method call by that).
  if (fresh[0]!.location.startOffset + windowStart !== start) return undefined;
  // In a method body, a constant assignment or a class or module definition is an error that a
  // piece parsed alone does not get.
  if (kind(scope) === 'DefNode' && fresh.some((f) => contains(f, (k) => /^Constant.*(Write|Target)Node$/.test(k) || k === 'ClassNode' || k === 'ModuleNode'))) return undefined;
  const was = writtenLocals(stmt);
  const is = new Set<string>();
  for (const s of fresh) for (const n of writtenLocals(s)) is.add(n);
  if (was.size !== is.size || [...was].some((n) => !is.has(n))) return undefined;

  // Accepted: move the rest of the tree, then put the new statements in.
  body.body.splice(index, 1);
  // The top-level statement whose subtree changes in place (when the piece is in a nested body)
  // is walked; every other top-level statement's locations are moved from its flat list.
  const touched = scope === prev.value ? undefined : (outer[1] ?? scope);
  moveProgram(prev.value, touched, oldEnd, delta);
  for (const s of fresh) {
    eachLocation(s, (loc) => {
      loc.startOffset += windowStart;
    });
  }
  body.body.splice(index, 0, ...fresh);
  // The scope's first writes: those in the piece are the new piece's, those after it move. The
  // scopes around it hold absolute positions past the edit: they are worked out again when asked.
  const dropped: string[] = [];
  for (const [name, rel] of writes) {
    if (base + rel >= start && base + rel < oldEnd) {
      writes.delete(name);
      dropped.push(name);
    } else if (base + rel >= oldEnd) writes.set(name, rel + delta);
  }
  addWrites([...fresh], base, writes);
  // A name whose first write left the piece may be written later on: work the scope out again.
  if (dropped.some((name) => !writes.has(name))) prev.locals.delete(scope);
  for (const o of outer) prev.locals.delete(o);
  const comments = prev.comments.filter((c) => c.location.startOffset < start || c.location.startOffset >= oldEnd);
  for (const c of comments) if (c.location.startOffset >= oldEnd) c.location.startOffset += delta;
  const added = result.comments.filter((c) => c.location.startOffset + windowStart >= start && c.location.startOffset + windowStart < oldEnd + delta).map((c) => ({ location: { startOffset: c.location.startOffset + windowStart, length: c.location.length } }));
  comments.push(...added);
  comments.sort((a, b) => a.location.startOffset - b.location.startOffset);
  return { value: prev.value, comments, errors: [], locals: prev.locals, touched };
}

/**
 * Parses `text` (the document `file`, when it is one being edited): incrementally from the
 * previous parse of the same file when the edit allows it, else whole.
 */
export function parseIncrementally(parse: PrismParse, text: string, file: string | undefined): PrismOutcome {
  const bytes = new TextEncoder().encode(text);
  const prev = file === undefined ? undefined : previous.get(file);
  if (file !== undefined) previous.delete(file);
  let outcome = prev ? spliced(parse, prev, bytes) : undefined;
  let full: ParseResult | undefined;
  if (outcome) rubyParseCounts.spliced++;
  else {
    rubyParseCounts.whole++;
    full = parse(text);
    outcome = full;
  }
  // Only a clean parse of a file without magic comments or a data section is a base for the next.
  const clean = outcome.errors.length === 0 && (!full || (full.magicComments.length === 0 && !full.dataLoc));
  if (file !== undefined && clean) {
    if (previous.size >= KEPT) previous.delete(previous.keys().next().value!);
    previous.set(file, { bytes, value: outcome.value, comments: [...outcome.comments], locals: outcome.locals ?? new WeakMap() });
  }
  return outcome;
}

/** Forgets every kept parse (a parser failure leaves nothing to build on). */
export function forgetRubyParses(): void {
  previous.clear();
}
