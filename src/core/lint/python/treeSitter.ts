// Python parsing with web-tree-sitter and the tree-sitter-python grammar (both WASM), loaded on the
// first Python file through the runtime shared with the other tree-sitter languages (../treeSitter.ts).
import { descendants as walk, discardTreeSitterParser, firstSyntaxError, treeSitterParser, type TsNode } from '../treeSitter';
import type { Parser } from 'web-tree-sitter';

export const PYTHON_GRAMMAR = 'tree-sitter-python/tree-sitter-python.wasm';

/**
 * The Python parser, loaded on the first Python file (a run without one never loads tree-sitter).
 * The WASM runtime is initialized once per thread; a parser is made from it again after
 * discardPythonParser.
 */
export function pythonParser(): Promise<Parser> {
  return treeSitterParser(PYTHON_GRAMMAR);
}

/** Drops the Python parser after a parse failed inside tree-sitter; the next file gets a new one. */
export function discardPythonParser(): void {
  discardTreeSitterParser(PYTHON_GRAMMAR);
}

export type PyNode = TsNode;

/** Every node of the subtree in document order (see ../treeSitter.ts). */
export const descendants = walk;

/** The first syntax error (an ERROR node or a MISSING token), if any. */
export function firstError(root: PyNode): { start: number; end: number; message: string } | undefined {
  return firstSyntaxError(root, 'Python');
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
