// The web-tree-sitter runtime shared by every language parsed with a tree-sitter grammar (Python
// for Django, JavaScript and TypeScript for arangojs migrations). The runtime is initialised once
// per process; each grammar is loaded on first use only, so a run that lints no .py or .js file
// never reads those .wasm files. Files are found with require.resolve, so the same code works from
// node_modules in the checkout and from dist/node_modules in the bundle.
import { Language, Parser, type Node } from 'web-tree-sitter';

let runtime: Promise<void> | undefined;

function initRuntime(): Promise<void> {
  runtime ??= Parser.init({ locateFile: () => require.resolve('web-tree-sitter/tree-sitter.wasm') });
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
      await initRuntime();
      const language = await Language.load(require.resolve(wasmModule));
      const parser = new Parser();
      parser.setLanguage(language);
      return parser;
    })();
    // A failed load must not be cached forever: the next file tries again.
    p.catch(() => grammars.delete(wasmModule));
    grammars.set(wasmModule, p);
  }
  return p;
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
