// Ruby parsing with @ruby/prism (Ruby's own parser compiled to WASM). The module is loaded once
// per process with a dynamic import (it is an ES module with its .wasm next to it, left external by
// the build and copied into dist/node_modules). Prism reports UTF-8 byte offsets; everything here
// is converted to UTF-16 offsets, which is what the lint engine and editors use.
import type * as Prism from '@ruby/prism';
import type { CommentSpan, Span } from '../types';
import { children as childNodesOf, forgetRubyParses, parseIncrementally, type PrismOutcome, type PrismParse } from './incremental';

type ParseFn = PrismParse;
let loading: Promise<ParseFn> | undefined;

function loadParser(): Promise<ParseFn> {
  loading ??= (async () => {
    // Node 20 prints "WASI is an experimental feature" when prism loads node:wasi. That is expected
    // and would only confuse CLI users, so exactly that warning is dropped while loading.
    const emit = process.emitWarning;
    process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
      if (String(warning instanceof Error ? warning.message : warning).includes('WASI')) return;
      (emit as (...a: unknown[]) => void).call(process, warning, ...rest);
    }) as typeof process.emitWarning;
    try {
      const prism: typeof Prism = await import('@ruby/prism');
      return await prism.loadPrism();
    } finally {
      process.emitWarning = emit;
    }
  })();
  return loading;
}

export type RubyNode = Prism.Node;

/** A node with its ancestors (outermost first). */
export interface RubyNodeInfo<N = RubyNode> {
  readonly node: N;
  readonly ancestors: readonly RubyNode[];
}

export interface RubyUnit {
  readonly program: Prism.ProgramNode;
  readonly calls: readonly RubyNodeInfo<Prism.CallNode>[];
  /** Every local/instance variable assignment, in source order. */
  readonly assignments: readonly RubyNodeInfo[];
  /** Every method definition (`def`), outer ones before the ones inside them. */
  readonly defs: readonly Prism.DefNode[];
  /** Byte offset → UTF-16 offset. */
  readonly offset: (byte: number) => number;
  /** A prism location as a UTF-16 span. */
  span(loc: Prism.Location): Span;
  /** The source text of a node. */
  source(node: RubyNode): string;
}

/** A node and the chain of its parents, innermost first. */
interface Chain {
  readonly node: RubyNode;
  readonly up: Chain | undefined;
}

class NodeInfo<N extends RubyNode> implements RubyNodeInfo<N> {
  #ancestors: RubyNode[] | undefined;
  constructor(
    readonly node: N,
    private readonly parents: Chain | undefined,
  ) {}

  get ancestors(): readonly RubyNode[] {
    if (!this.#ancestors) {
      const out: RubyNode[] = [];
      for (let c = this.parents; c; c = c.up) out.push(c.node);
      this.#ancestors = out.reverse();
    }
    return this.#ancestors;
  }
}

/** What parseRuby collects from the subtree of one top-level statement, in the order of a walk of the tree. */
interface StatementFacts {
  readonly calls: readonly RubyNodeInfo<Prism.CallNode>[];
  readonly assignments: readonly RubyNodeInfo[];
  readonly defs: readonly Prism.DefNode[];
  /** The statements of the bodies inside it (not itself). */
  readonly statements: readonly RubyNode[];
}

/**
 * Facts by top-level statement node. An incremental parse (./incremental.ts) keeps the nodes of
 * the statements it did not parse again (their locations moved in place), so their facts stay
 * valid: an edit walks only the new statements instead of the whole tree. The one top-level
 * statement whose subtree a splice changed in place is reported as `touched` and walked again.
 * The ancestors of a kept fact are the same program and body nodes, which the splice keeps too.
 */
const factsCache = new WeakMap<RubyNode, StatementFacts>();

function factsOf(root: RubyNode, up: Chain): StatementFacts {
  const calls: RubyNodeInfo<Prism.CallNode>[] = [];
  const assignments: RubyNodeInfo[] = [];
  const defs: Prism.DefNode[] = [];
  const statements: RubyNode[] = [];
  // An explicit stack instead of recursion: deeply nested input must not overflow the JS stack.
  // Each entry links to its parent's entry; ancestors arrays are made only for the calls and
  // assignments a rule asks about (copying them for every node was half the cost of a parse).
  const stack: Chain[] = [{ node: root, up }];
  while (stack.length) {
    const entry = stack.pop()!;
    const node = entry.node;
    const k = kind(node);
    if (k === 'CallNode') calls.push(new NodeInfo(node as Prism.CallNode, entry.up));
    else if (k === 'LocalVariableWriteNode' || k === 'InstanceVariableWriteNode') assignments.push(new NodeInfo(node, entry.up));
    else if (k === 'DefNode') defs.push(node as Prism.DefNode);
    else if (k === 'StatementsNode') for (const b of (node as Prism.StatementsNode).body) statements.push(b);
    const kids = children(node);
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ node: kids[i]!, up: entry });
  }
  return { calls, assignments, defs, statements };
}

export type RubyParse =
  | { ok: true; unit: RubyUnit; statements: Span[]; comments: CommentSpan[] }
  | { ok: false; start: number; end: number; message: string };

/** Maps UTF-8 byte offsets of `text` to UTF-16 offsets (identity for ASCII text). */
export function byteToUtf16(text: string): (byte: number) => number {
  if (!/[^\u0000-\u007f]/.test(text)) return (b) => Math.max(0, Math.min(b, text.length));
  const map = new Int32Array(Buffer.byteLength(text, 'utf8') + 1);
  let b = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.codePointAt(i)!;
    const len = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    for (let k = 0; k < len; k++) map[b + k] = i;
    b += len;
    if (c >= 0x10000) i++;
  }
  map[b] = text.length;
  return (byte) => map[Math.max(0, Math.min(byte, b))]!;
}

export function kind(node: RubyNode | null | undefined): string {
  return node ? node.constructor.name : '';
}

/** A node's child nodes (incremental.ts's, which also reads the list fields prism 1.9's compactChildNodes() drops). */
export function children(node: RubyNode): RubyNode[] {
  return childNodesOf(node);
}

/**
 * Parses a Ruby file. `file`: the path of a document being edited, whose next version is then
 * parsed incrementally from this one where an edit allows it (./incremental.ts).
 */
export async function parseRuby(text: string, file?: string): Promise<RubyParse> {
  const parse = await loadParser();
  let result: PrismOutcome;
  try {
    result = parseIncrementally(parse, text, file);
  } catch (e) {
    forgetRubyParses();
    // A WASM trap (e.g. its stack overflowing on absurdly deep nesting) can leave the instance's
    // memory unusable, so the next file gets a fresh instance, and this one a clear parse error.
    loading = undefined;
    return { ok: false, start: 0, end: Math.min(1, text.length), message: `the Ruby parser (prism) could not parse this file: ${e instanceof Error ? e.message : String(e)}` };
  }
  const offset = byteToUtf16(text);
  const span = (loc: Prism.Location): Span => ({ start: offset(loc.startOffset), end: offset(loc.startOffset + loc.length) });
  // Prism lists its recovery notes too; "assuming it is closing the parent" points at the end of
  // the file, while the note about the unclosed construct points at where the problem starts.
  const errors = result.errors.filter((e) => e.level !== 'warning');
  const err = errors.find((e) => !/assuming it is closing the parent/.test(e.message)) ?? errors[0];
  if (err) {
    const s = span(err.location);
    return { ok: false, start: s.start, end: Math.max(s.end, s.start), message: `Ruby syntax error: ${err.message}` };
  }
  const calls: RubyNodeInfo<Prism.CallNode>[] = [];
  const assignments: RubyNodeInfo[] = [];
  const defs: Prism.DefNode[] = [];
  const statementNodes: RubyNode[] = [...result.value.statements.body];
  if (result.touched) factsCache.delete(result.touched);
  const top: Chain = { node: result.value.statements, up: { node: result.value, up: undefined } };
  for (const s of result.value.statements.body) {
    let f = factsCache.get(s);
    if (!f) factsCache.set(s, (f = factsOf(s, top)));
    // Loops, not push(...list): a statement with very many calls would exceed the argument limit.
    for (const c of f.calls) calls.push(c);
    for (const a of f.assignments) assignments.push(a);
    for (const d of f.defs) defs.push(d);
    for (const n of f.statements) statementNodes.push(n);
  }
  const statements = statementNodes.map((s) => span(s.location));
  const byStart = (a: { node: RubyNode }, b: { node: RubyNode }): number => a.node.location.startOffset - b.node.location.startOffset;
  calls.sort(byStart);
  assignments.sort(byStart);
  statements.sort((a, b) => a.start - b.start || b.end - a.end);
  const comments: CommentSpan[] = result.comments.map((c) => {
    const s = span(c.location);
    const raw = text.slice(s.start, s.end);
    return { ...s, body: raw.startsWith('#') ? raw.slice(1) : raw.replace(/^=begin\b|=end\s*$/g, '') };
  });
  const unit: RubyUnit = {
    program: result.value,
    calls,
    assignments,
    defs,
    offset,
    span,
    source: (n) => {
      const s = span(n.location);
      return text.slice(s.start, s.end);
    },
  };
  return { ok: true, unit, statements, comments };
}
