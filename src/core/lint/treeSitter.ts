// The web-tree-sitter runtime shared by every language parsed with a tree-sitter grammar (Python
// for Django, JavaScript and TypeScript for arangojs migrations). The runtime is initialised once
// per process; each grammar is loaded on first use only, so a run that lints no .py or .js file
// never reads those .wasm files. Files are found with require.resolve, so the same code works from
// node_modules in the checkout and from dist/node_modules in the bundle.
import type { Edit, Language, Node, Parser, Point, Query, Range, Tree } from 'web-tree-sitter';

type TreeSitter = typeof import('web-tree-sitter');

let runtime: Promise<TreeSitter> | undefined;
/** The module once initialised: its classes must be the ones the runtime was initialised on. */
let loaded: TreeSitter | undefined;
/** tree-sitter failed inside its WASM module, which is one per thread and cannot be reloaded. */
let runtimeFailed = false;

// Imported on first use, so a run that lints no tree-sitter language never loads the module.
function initRuntime(): Promise<TreeSitter> {
  runtime ??= (async () => {
    const ts = await import('web-tree-sitter');
    await ts.Parser.init({ locateFile: () => require.resolve('web-tree-sitter/tree-sitter.wasm') });
    loaded = ts;
    return ts;
  })();
  runtime.catch(() => {
    runtime = undefined;
  });
  return runtime;
}

const grammars = new Map<string, Promise<Parser>>();

/** A parser for the grammar in `wasmModule` (a module path such as 'tree-sitter-python/tree-sitter-python.wasm'). */
export function treeSitterParser(wasmModule: string): Promise<Parser> {
  let p = grammars.get(wasmModule);
  if (!p) {
    p = (async () => {
      const ts = await initRuntime();
      const language = await ts.Language.load(require.resolve(wasmModule));
      const parser = new ts.Parser();
      parser.setLanguage(language);
      return parser;
    })();
    // A failed load must not be cached forever: the next file tries again.
    p.catch(() => grammars.delete(wasmModule));
    grammars.set(wasmModule, p);
  }
  return p;
}

/**
 * A query over `language`, made with the same module instance the runtime was initialised on (a
 * second copy of the module, from a static import, would have no runtime). Only after a parser
 * of that language was made.
 */
export function treeSitterQuery(language: Language, source: string): Query {
  if (!loaded) throw new Error('tree-sitter is not loaded yet: make a parser first');
  return new loaded.Query(language, source);
}

/**
 * Drops a grammar's parser after a parse failed inside tree-sitter (an abort on huge input, a
 * trap): its state is not to be trusted, so the next file gets a new parser instead of false
 * syntax errors, and the thread is marked for retirement (treeSitterRuntimeFailed).
 */
export function discardTreeSitterParser(wasmModule: string): void {
  const old = grammars.get(wasmModule);
  grammars.delete(wasmModule);
  forgetTrees(wasmModule);
  runtimeFailed = true;
  void old?.then((p) => p.delete()).catch(() => undefined);
}

/**
 * Whether tree-sitter failed in this thread. Its WASM module is a singleton of the thread, so a
 * lint worker that sees this retires and the pool starts a fresh one for the next file.
 */
export function treeSitterRuntimeFailed(): boolean {
  return runtimeFailed;
}

/**
 * The last tree of each recently parsed document, per grammar, so the next version of the same
 * file is parsed incrementally (tree.edit + parse with the old tree): the language server lints an
 * open file again on every edit, and tree-sitter then re-reads only around the change. A few
 * documents per grammar are kept (trees live in WASM memory); a CLI run, which parses each file
 * once, only ever finds no previous tree.
 */
const TREES_PER_GRAMMAR = 8;
const trees = new Map<string, Map<string, { text: string; tree: Tree }>>();

function forgetTrees(wasmModule: string): void {
  const kept = trees.get(wasmModule);
  trees.delete(wasmModule);
  for (const k of kept?.values() ?? []) {
    try {
      k.tree.delete();
    } catch {
      // The WASM module that holds the tree failed (which is why it is forgotten): nothing to free.
    }
  }
}

/** Row and column (UTF-16 code units, as web-tree-sitter counts) of `index` in `text`. */
function pointAt(text: string, index: number): Point {
  let row = 0;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) {
    row++;
    lineStart = i + 1;
  }
  return { row, column: index - lineStart };
}

/** The one edit that turns `before` into `after`: the span between their common prefix and suffix. */
export function editBetween(before: string, after: string): Edit {
  const max = Math.min(before.length, after.length);
  let prefix = 0;
  while (prefix < max && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (suffix < max - prefix && before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)) suffix++;
  const oldEnd = before.length - suffix;
  const newEnd = after.length - suffix;
  return {
    startIndex: prefix,
    oldEndIndex: oldEnd,
    newEndIndex: newEnd,
    startPosition: pointAt(before, prefix),
    oldEndPosition: pointAt(before, oldEnd),
    newEndPosition: pointAt(after, newEnd),
  };
}

/** A parsed tree; `release()` frees it unless it is kept for the document's next version. */
export interface ParsedTree {
  readonly tree: Tree;
  /**
   * When the tree was parsed incrementally and the caller asked for changed ranges (they cost a
   * walk of both trees): the previous text, the edit from it, and the ranges
   * (in the new text) whose syntax tree-sitter found changed besides. Outside the edit and those
   * ranges the new tree has the previous tree's nodes, moved by the edit's length.
   */
  readonly changed?: { readonly previousText: string; readonly edit: Edit; readonly ranges: readonly Range[] };
  release(): void;
}

/**
 * Parses `text` with the grammar's parser. With `document` (the file's path), the previous tree of
 * that document is reused: edited and handed to tree-sitter, which gives the same tree a fresh
 * parse would, reading again only what the edit touched; the new tree is kept in its place. Returns
 * undefined when tree-sitter returns no tree; throws what the parser throws.
 */
export function parseTree(parser: Parser, wasmModule: string, text: string, document?: string, options: { changedRanges?: boolean } = {}): ParsedTree | undefined {
  if (document === undefined) {
    const tree = parser.parse(text);
    return tree ? { tree, release: () => tree.delete() } : undefined;
  }
  let kept = trees.get(wasmModule);
  if (!kept) trees.set(wasmModule, (kept = new Map()));
  const previous = kept.get(document);
  kept.delete(document);
  let tree: Tree | null;
  let changed: ParsedTree['changed'];
  if (previous?.text === text) {
    tree = previous.tree;
    if (options.changedRanges) changed = { previousText: text, edit: editBetween(text, text), ranges: [] };
  } else {
    try {
      const edit = previous ? editBetween(previous.text, text) : undefined;
      if (previous && edit) previous.tree.edit(edit);
      tree = parser.parse(text, previous?.tree);
      if (tree && previous && tree.rootNode.hasError) {
        // Error recovery may go another way from an old tree than from scratch, and the syntax
        // error a user sees must be the one a fresh parse (the CLI) reports: parse again.
        tree.delete();
        tree = parser.parse(text);
      } else if (tree && previous && edit && options.changedRanges) changed = { previousText: previous.text, edit, ranges: previous.tree.getChangedRanges(tree) };
    } finally {
      previous?.tree.delete();
    }
  }
  if (!tree) return undefined;
  // Most recently used last: the oldest document's tree goes first.
  kept.set(document, { text, tree });
  for (const [key, k] of kept) {
    if (kept.size <= TREES_PER_GRAMMAR) break;
    kept.delete(key);
    k.tree.delete();
  }
  return { tree, changed, release: () => undefined };
}

export type TsNode = Node;

/**
 * Every node of the subtree in document order, without recursion (deep input must not overflow);
 * with `wanted`, only the nodes whose type it accepts. Filtering on the cursor's node type is much
 * cheaper than making a Node object for every node of a large file.
 */
export function* descendants(root: TsNode, wanted?: (type: string) => boolean): Generator<TsNode> {
  const cursor = root.walk();
  try {
    let depthGuard = 0;
    for (;;) {
      if (!wanted || wanted(cursor.nodeType)) yield cursor.currentNode;
      if (cursor.gotoFirstChild()) {
        depthGuard++;
        continue;
      }
      while (!cursor.gotoNextSibling()) {
        if (depthGuard === 0 || !cursor.gotoParent()) return;
        depthGuard--;
      }
    }
  } finally {
    cursor.delete();
  }
}

/** The first syntax error (an ERROR node or a MISSING token), if any; `language` names it in the message. */
export function firstSyntaxError(root: TsNode, language: string): { start: number; end: number; message: string } | undefined {
  if (!root.hasError) return undefined;
  for (const n of descendants(root)) {
    if (n.isMissing) return { start: n.startIndex, end: n.startIndex, message: `${language} syntax error: missing ${JSON.stringify(n.type)}` };
    if (n.type === 'ERROR') {
      const first = n.text.split('\n')[0]!.slice(0, 40);
      return { start: n.startIndex, end: Math.max(n.startIndex + 1, Math.min(n.endIndex, n.startIndex + first.length)), message: `${language} syntax error: unexpected ${JSON.stringify(first)}` };
    }
  }
  return { start: 0, end: 0, message: `${language} syntax error` };
}
