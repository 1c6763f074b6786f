// Python parsing with web-tree-sitter and the tree-sitter-python grammar (both WASM). The runtime
// and the grammar are loaded once per process. Their .wasm files are found with require.resolve, so
// the same code works from node_modules in the checkout and from dist/node_modules in the bundle.
import type { Node, Parser } from 'web-tree-sitter';

let loading: Promise<Parser> | undefined;
/** tree-sitter failed inside its WASM module, which is one per thread and cannot be reloaded. */
let runtimeFailed = false;

/**
 * The Python parser, loaded on the first Python file (a run without one never loads tree-sitter).
 * The WASM runtime is initialized once per thread; a parser is made from it again after
 * discardPythonParser.
 */
export function pythonParser(): Promise<Parser> {
  loading ??= (async () => {
    const { Language, Parser } = await import('web-tree-sitter');
    const runtime = require.resolve('web-tree-sitter/tree-sitter.wasm');
    await Parser.init({ locateFile: () => runtime });
    const python = await Language.load(require.resolve('tree-sitter-python/tree-sitter-python.wasm'));
    const parser = new Parser();
    parser.setLanguage(python);
    return parser;
  })();
  // A failed load must not be cached forever: the next file tries again.
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}

/**
 * Whether tree-sitter failed in this thread. Its WASM module is a singleton of the thread, so a
 * lint worker that sees this retires and the pool starts a fresh one for the next file.
 */
export function pythonRuntimeFailed(): boolean {
  return runtimeFailed;
}

/**
 * Drops the parser after a parse failed inside tree-sitter (an abort on huge input, a trap): its
 * state is not to be trusted, so the next file gets a new parser instead of false syntax errors.
 */
export function discardPythonParser(): void {
  const old = loading;
  loading = undefined;
  runtimeFailed = true;
  void old?.then((p) => p.delete()).catch(() => undefined);
}

export type PyNode = Node;

/**
 * Every node of the subtree in document order, without recursion (deep input must not overflow);
 * with `wanted`, only the nodes whose type it accepts. Filtering on the cursor's node type is much
 * cheaper than making a Node object for every node of a large file.
 */
export function* descendants(root: PyNode, wanted?: (type: string) => boolean): Generator<PyNode> {
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

/** The first syntax error (an ERROR node or a MISSING token), if any. */
export function firstError(root: PyNode): { start: number; end: number; message: string } | undefined {
  if (!root.hasError) return undefined;
  for (const n of descendants(root)) {
    if (n.isMissing) return { start: n.startIndex, end: n.startIndex, message: `Python syntax error: missing ${JSON.stringify(n.type)}` };
    if (n.type === 'ERROR') {
      const first = n.text.split('\n')[0]!.slice(0, 40);
      return { start: n.startIndex, end: Math.max(n.startIndex + 1, Math.min(n.endIndex, n.startIndex + first.length)), message: `Python syntax error: unexpected ${JSON.stringify(first)}` };
    }
  }
  return { start: 0, end: 0, message: 'Python syntax error' };
}

export interface DecodedString {
  readonly value: string;
  /** offsets[i]: host offset of decoded character i; one extra entry for the end. */
  readonly offsets: number[];
}

/**
 * The value of a plain (non-f) string literal with the source offset of each character, or
 * undefined when the value is computed (an f-string with interpolations).
 */
export function decodeString(node: PyNode, text: string): DecodedString | undefined {
  if (node.type === 'concatenated_string') {
    const parts = node.namedChildren.filter((c): c is PyNode => !!c && c.type === 'string').map((c) => decodeString(c, text));
    if (parts.some((p) => !p)) return undefined;
    const value = parts.map((p) => p!.value).join('');
    const offsets = parts.flatMap((p, i) => (i === parts.length - 1 ? p!.offsets : p!.offsets.slice(0, -1)));
    return { value, offsets };
  }
  if (node.type !== 'string') return undefined;
  const kids = node.children.filter((c): c is PyNode => !!c);
  if (kids.some((c) => c.type === 'interpolation')) return undefined;
  const open = kids.find((c) => c.type === 'string_start');
  const close = kids.find((c) => c.type === 'string_end');
  if (!open || !close) return undefined;
  const raw = /r/i.test(open.text.replace(/['"]/g, ''));
  let value = '';
  const offsets: number[] = [];
  let i = open.endIndex;
  const end = close.startIndex;
  while (i < end) {
    const c = text[i]!;
    if (c === '\\' && !raw && i + 1 < end) {
      const e = text[i + 1]!;
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0' };
      if (e === '\n') {
        i += 2;
        continue;
      }
      if (e in simple) {
        offsets.push(i);
        value += simple[e];
        i += 2;
        continue;
      }
      const hex = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
      if (hex && /^[0-9a-fA-F]+$/.test(text.slice(i + 2, i + 2 + hex)) && i + 2 + hex <= end) {
        const ch = String.fromCodePoint(Math.min(0x10ffff, parseInt(text.slice(i + 2, i + 2 + hex), 16)));
        for (let k = 0; k < ch.length; k++) offsets.push(i);
        value += ch;
        i += 2 + hex;
        continue;
      }
    }
    offsets.push(i);
    value += c;
    i++;
  }
  offsets.push(end);
  return { value, offsets };
}
