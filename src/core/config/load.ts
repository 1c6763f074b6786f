// Reads greenlight.yaml and turns every problem (YAML syntax, wrong type, unknown key, duplicate
// service) into a ConfigProblem that names file:line:column and what was expected. The editor
// shows these as diagnostics on the file; the CLI prints them and exits 2.
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { isNode, isMap, isSeq, LineCounter, parseDocument, visit, type Alias, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { configSchema, type GreenlightConfig } from './schema';

export const CONFIG_FILE_NAME = 'greenlight.yaml';

export interface ConfigProblem {
  readonly file: string;
  /** 1-based line and column of the start, and of the end (exclusive). */
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
  readonly message: string;
}

export type ConfigResult =
  | { readonly ok: true; readonly file: string; readonly root: string; readonly config: GreenlightConfig }
  | { readonly ok: false; readonly file: string; readonly problems: readonly ConfigProblem[]; /** There is no such file (the one problem says so). */ readonly missing?: boolean };

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.message}`;
}

/** Parses config text; `file` is used only for messages and to resolve relative paths. */
export function parseConfig(text: string, file: string): ConfigResult {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number, end: number, message: string): ConfigProblem => {
    const s = lc.linePos(offset);
    const e = lc.linePos(Math.max(end, offset));
    return { file, line: s.line, column: s.col, endLine: e.line, endColumn: e.col, message };
  };
  if (doc.errors.length > 0) {
    return { ok: false, file, problems: doc.errors.map((e) => at(e.pos[0], e.pos[1], `YAML: ${firstLine(e.message)}`)) };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch (e) {
    // The yaml package refuses alias expansions that grow without bound (a "billion laughs"
    // file) but names no position: point at the first alias that repeats other aliases.
    const alias = multiplyingAlias(doc);
    const [start, end] = alias?.range ?? [0, 1];
    return { ok: false, file, problems: [at(start, end, `YAML: ${firstLine(errorText(e))} (more than ${MAX_ALIAS_COUNT} alias expansions: a file that multiplies aliases like this is refused unread; greenlight.yaml needs no nested aliases)`)] };
  }
  const parsed = configSchema.safeParse(data, { reportInput: true });
  const problems: ConfigProblem[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const [start, end] = rangeOf(doc, issue.path, issue.code === 'unrecognized_keys' ? issue.keys : undefined);
      problems.push(at(start, end, describeIssue(issue)));
    }
  } else {
    const seen = new Map<string, number>();
    parsed.data.services.forEach((s, i) => {
      if (seen.has(s.name)) {
        const [start, end] = rangeOf(doc, ['services', i, 'name']);
        problems.push(at(start, end, `duplicate service name "${s.name}" (first defined as services[${seen.get(s.name)}])`));
      }
      seen.set(s.name, i);
    });
  }
  if (problems.length > 0 || !parsed.success) return { ok: false, file, problems: sortProblems(problems) };
  return { ok: true, file, root: path.dirname(path.resolve(file)), config: parsed.data };
}

export async function loadConfig(file: string): Promise<ConfigResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? String(e)})`;
    return { ok: false, file, problems: [{ file, line: 1, column: 1, endLine: 1, endColumn: 1, message: why }], missing: code === 'ENOENT' };
  }
  return parseConfig(text, file);
}

/** The yaml package's own limit on how often aliases may be expanded, stated here so messages can name it. */
const MAX_ALIAS_COUNT = 100;

/** The first alias whose target itself contains aliases (what makes an expansion grow), else the first alias. */
function multiplyingAlias(doc: Document): Alias | undefined {
  let first: Alias | undefined;
  let multiplying: Alias | undefined;
  visit(doc, {
    Alias(_, node) {
      first ??= node;
      const target = node.resolve(doc);
      let nested = false;
      if (target) visit(target, { Alias: () => ((nested = true), visit.BREAK) });
      if (nested) {
        multiplying = node;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return multiplying ?? first;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function sortProblems(ps: ConfigProblem[]): ConfigProblem[] {
  return ps.sort((a, b) => a.line - b.line || a.column - b.column);
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') : '(top level)';
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_type':
      return issue.input === undefined
        ? `${where}: required ${issue.expected} is missing`
        : `${where}: expected ${issue.expected}, got ${describeValue(issue.input)}`;
    case 'invalid_value':
      return `${where}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${where}: ${issue.message}`;
  }
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** The source range of the node at path; for unknown keys, the first offending key. */
function rangeOf(doc: Document, issuePath: readonly PropertyKey[], keys?: readonly string[]): [number, number] {
  let node: Node | null = doc.contents as Node | null;
  let keyNode: Node | null = null;
  for (const seg of issuePath) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isNode(p.key) ? (p.key as { value?: unknown }).value : p.key) === seg);
      if (!pair) break;
      keyNode = isNode(pair.key) ? pair.key : null;
      node = isNode(pair.value) ? pair.value : keyNode;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (!isNode(item)) break;
      keyNode = null;
      node = item;
    } else break;
  }
  if (keys?.length && isMap(node)) {
    const pair = node.items.find((p) => isNode(p.key) && keys.includes(String((p.key as { value?: unknown }).value)));
    if (pair && isNode(pair.key) && pair.key.range) return [pair.key.range[0], pair.key.range[1]];
  }
  // A missing required key points at the mapping's key that should contain it.
  const target = node ?? keyNode;
  if (target?.range) {
    if (isMap(target) || isSeq(target)) {
      const k = keyNode?.range;
      if (k && issuePath.length > 0 && !keys) return [k[0], k[1]];
      return [target.range[0], target.range[0] + 1];
    }
    return [target.range[0], target.range[1]];
  }
  return [0, 1];
}
