// What the Django rules need from a migration file, extracted while the tree-sitter tree is alive
// (tree-sitter trees live in WASM memory and are freed right after): the SQL of every RunSQL (as
// embedded SQL with offsets), RunSQL calls whose SQL is computed, and the writes made by each
// RunPython forward function — creates, self-referencing or time-based updates, whole-table
// deletes — with whether a guard (an existence check, `except IntegrityError`) protects them.
// Framework-managed operations (CreateModel, AddField, AlterField, …) are Django's business: the
// migration recorder runs them once, so nothing here looks at them.
import type { CommentSpan, Span } from '../types';
import { decodeString, descendants, discardPythonParser, firstError, pythonParser, type DecodedString, type PyNode } from './treeSitter';

export interface DjangoWrite extends Span {
  readonly kind: 'create' | 'bulk_create' | 'save' | 'update' | 'delete';
  /** The call's source text (shortened), for messages. */
  readonly text: string;
  readonly guard?: string;
  readonly loop?: string;
  /** update: the field and why a rerun changes it again. */
  readonly field?: string;
  readonly reason?: string;
  /** The RunPython function this write was found in. */
  readonly func: string;
}

export interface DjangoUnit {
  readonly runSql: readonly (Span & { readonly sql: DecodedString })[];
  readonly dynamicSql: readonly (Span & { readonly why: string })[];
  readonly writes: readonly DjangoWrite[];
}

export type DjangoParse =
  | { ok: true; unit: DjangoUnit; statements: Span[]; comments: CommentSpan[] }
  | { ok: false; start: number; end: number; message: string };

const QUERY_ATTRS = new Set(['exists', 'count', 'first', 'last', 'filter', 'get', 'exclude', 'none', 'values_list', 'in_bulk']);
const VOLATILE = /^(timezone\.now|datetime\.now|datetime\.utcnow|datetime\.datetime\.now|datetime\.datetime\.utcnow|Now|uuid\.uuid4|uuid4|random\.random|random\.randint|secrets\.token_hex)$/;
const MANAGER = /(^|\.)(objects|_default_manager|_base_manager)$/;

function callName(call: PyNode): string {
  return call.childForFieldName('function')?.text ?? '';
}

function args(call: PyNode): { positional: PyNode[]; keywords: Map<string, PyNode> } {
  const positional: PyNode[] = [];
  const keywords = new Map<string, PyNode>();
  const list = call.childForFieldName('arguments');
  for (const a of list?.namedChildren ?? []) {
    if (!a || a.type === 'comment') continue;
    if (a.type === 'keyword_argument') {
      const name = a.childForFieldName('name')?.text;
      const value = a.childForFieldName('value');
      if (name && value) keywords.set(name, value);
    } else positional.push(a);
  }
  return { positional, keywords };
}

const isCall = (type: string): boolean => type === 'call';

function inside(n: PyNode, outer: PyNode | null | undefined): boolean {
  return !!outer && n.startIndex >= outer.startIndex && n.endIndex <= outer.endIndex;
}

function containsQuery(n: PyNode | null): boolean {
  if (!n) return false;
  for (const d of descendants(n, isCall)) {
    const f = d.childForFieldName('function');
    if (f?.type === 'attribute' && QUERY_ATTRS.has(f.childForFieldName('attribute')?.text ?? '')) return true;
  }
  return false;
}

function isExitClause(stmt: PyNode): boolean {
  if (stmt.type !== 'if_statement') return false;
  const body = stmt.childForFieldName('consequence');
  const first = body?.namedChildren.find((c) => c && c.type !== 'comment');
  return !!first && ['return_statement', 'continue_statement', 'break_statement', 'raise_statement'].includes(first.type) && containsQuery(stmt.childForFieldName('condition'));
}

/** The guard protecting a write, looking outwards up to the enclosing function. */
function guardOf(n: PyNode): string | undefined {
  for (let a = n.parent, child: PyNode = n; a; child = a, a = a.parent) {
    if (a.type === 'function_definition' || a.type === 'lambda') break;
    if (a.type === 'if_statement' || a.type === 'elif_clause' || a.type === 'conditional_expression') {
      const cond = a.type === 'conditional_expression' ? a.namedChildren[1] : a.childForFieldName('condition');
      if (cond && !inside(n, cond) && containsQuery(cond)) return 'condition';
    }
    if (a.type === 'boolean_operator' && a.childForFieldName('operator')?.text === 'or') {
      if (inside(n, a.childForFieldName('right')) && containsQuery(a.childForFieldName('left'))) return 'or';
    }
    if (a.type === 'try_statement' && inside(n, a.childForFieldName('body'))) {
      for (const c of a.namedChildren) if (c?.type === 'except_clause' && /IntegrityError/.test(c.text.split(':')[0]!)) return 'except IntegrityError';
    }
    if (a.type === 'block' || a.type === 'module') {
      for (const s of a.namedChildren) {
        if (!s || s.startIndex >= child.startIndex) break;
        if (isExitClause(s)) return 'guard clause';
      }
    }
  }
  return undefined;
}

function loopOf(n: PyNode): string | undefined {
  for (let a = n.parent; a; a = a.parent) {
    if (a.type === 'function_definition' || a.type === 'lambda') return undefined;
    if (a.type === 'for_statement') return 'for';
    if (a.type === 'while_statement') return 'while';
    if (a.type === 'list_comprehension' || a.type === 'generator_expression' || a.type === 'set_comprehension') return 'comprehension';
  }
  return undefined;
}

function short(s: string): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > 60 ? one.slice(0, 57) + '…' : one;
}

/** Fields named in filter()/exclude() calls of a queryset chain (`status__in` → `status`). */
function filteredFields(chain: PyNode): Set<string> {
  const out = new Set<string>();
  for (const d of descendants(chain, isCall)) {
    const f = d.childForFieldName('function');
    const attr = f?.type === 'attribute' ? f.childForFieldName('attribute')?.text : undefined;
    if (attr !== 'filter' && attr !== 'exclude') continue;
    for (const k of args(d).keywords.keys()) out.add(k.split('__')[0]!);
    for (const q of descendants(d, (t) => t === 'keyword_argument')) {
      out.add((q.childForFieldName('name')?.text ?? '').split('__')[0]!);
    }
  }
  return out;
}

function analyseFunction(fn: PyNode, name: string, text: string, functions: Map<string, PyNode>, seen: Set<string>, writes: DjangoWrite[]): void {
  // Local names bound to model classes (apps.get_model(…) or a capitalised class) and to instances.
  const models = new Set<string>();
  const instances = new Map<string, number>();
  for (const d of descendants(fn, (t) => t === 'assignment')) {
    const left = d.childForFieldName('left');
    const right = d.childForFieldName('right');
    if (left?.type !== 'identifier' || right?.type !== 'call') continue;
    const callee = callName(right);
    if (/(^|\.)get_model$/.test(callee)) models.add(left.text);
    else if (models.has(callee) || /^[A-Z]\w*$/.test(callee)) instances.set(left.text, d.startIndex);
  }
  const isModel = (s: string): boolean => models.has(s) || /^[A-Z]\w*$/.test(s);
  for (const call of descendants(fn, isCall)) {
    const f = call.childForFieldName('function');
    if (f?.type === 'identifier' && functions.has(f.text) && !seen.has(f.text)) {
      seen.add(f.text);
      analyseFunction(functions.get(f.text)!, f.text, text, functions, seen, writes);
      continue;
    }
    if (f?.type !== 'attribute') continue;
    const attr = f.childForFieldName('attribute')?.text ?? '';
    const obj = f.childForFieldName('object');
    if (!obj) continue;
    const base = { start: call.startIndex, end: call.endIndex, text: short(call.text), func: name };
    const { keywords } = args(call);
    if (attr === 'create' && MANAGER.test(obj.text)) {
      writes.push({ ...base, kind: 'create', guard: guardOf(call), loop: loopOf(call) });
    } else if (attr === 'bulk_create' && MANAGER.test(obj.text)) {
      const safe = ['ignore_conflicts', 'update_conflicts'].some((k) => keywords.get(k)?.text === 'True');
      if (!safe) writes.push({ ...base, kind: 'bulk_create', guard: guardOf(call), loop: loopOf(call) });
    } else if (attr === 'save') {
      const fromCtor = obj.type === 'call' && isModel(callName(obj));
      const fromVar = obj.type === 'identifier' && instances.has(obj.text) && instances.get(obj.text)! < call.startIndex;
      if (fromCtor || fromVar) writes.push({ ...base, kind: 'save', guard: guardOf(call), loop: loopOf(call) });
    } else if (attr === 'update' && keywords.size) {
      const fields = new Set(keywords.keys());
      const guards = filteredFields(obj);
      for (const [field, value] of keywords) {
        let reason: string | undefined;
        for (const d of descendants(value, isCall)) {
          const callee = callName(d);
          if (VOLATILE.test(callee)) {
            reason = `${callee}() differs on every run`;
            break;
          }
          if (callee === 'F') {
            const ref = d.childForFieldName('arguments')?.namedChildren[0];
            const refField = ref ? (decodeString(ref, text)?.value ?? '') : '';
            // F('x') alone copies a value; arithmetic or Concat on a field this update writes compounds.
            const compounds = value.type === 'binary_operator' || /^(Concat|Func)$/.test(callName(value));
            if (fields.has(refField) && (refField !== field || compounds)) {
              reason = refField === field ? `it is computed from its own current value (F('${field}'))` : `it copies F('${refField}'), which this update also changes`;
              break;
            }
          }
        }
        if (!reason) continue;
        if ([...fields].some((x) => guards.has(x))) break;
        writes.push({ ...base, kind: 'update', field, reason, guard: guardOf(call), loop: loopOf(call) });
        break;
      }
    } else if (attr === 'delete' && (MANAGER.test(obj.text) || (obj.type === 'call' && /\.all$/.test(callName(obj)) && MANAGER.test(callName(obj).replace(/\.all$/, ''))))) {
      writes.push({ ...base, kind: 'delete', guard: guardOf(call), loop: loopOf(call) });
    }
  }
}

/**
 * With params, Django passes the SQL through the driver's %-formatting: `%s` and `%(name)s` are
 * placeholders and `%%` is a literal `%`. They become PostgreSQL-parsable text of the same length,
 * so offsets keep mapping one to one.
 */
function withPlaceholders(sql: DecodedString): DecodedString {
  const value = sql.value.replace(/%\([A-Za-z_]\w*\)s|%s|%%/g, (m) => (m === '%%' ? '% ' : '$1'.padEnd(m.length, ' ')));
  return { value, offsets: sql.offsets };
}

function sqlPieces(value: PyNode, text: string, out: DjangoUnit['runSql'][number][], dynamic: DjangoUnit['dynamicSql'][number][], params = false): void {
  if (value.type === 'list' || value.type === 'tuple') {
    for (const item of value.namedChildren) {
      if (!item || item.type === 'comment') continue;
      // RunSQL accepts [(sql, params), …]: the SQL is the first element.
      if (item.type === 'tuple' || item.type === 'parenthesized_expression') {
        const first = item.namedChildren.find((c) => c && c.type !== 'comment');
        if (first) sqlPieces(first, text, out, dynamic, true);
      } else sqlPieces(item, text, out, dynamic);
    }
    return;
  }
  const decoded = decodeString(value, text);
  if (decoded) out.push({ start: value.startIndex, end: value.endIndex, sql: params ? withPlaceholders(decoded) : decoded });
  else if (value.type === 'attribute' && /RunSQL\.noop$/.test(value.text)) return;
  else dynamic.push({ start: value.startIndex, end: value.endIndex, why: value.type === 'string' ? 'an f-string' : `computed (${value.type.replace(/_/g, ' ')})` });
}

const STATEMENT = /(_statement|_definition)$/;

export async function parseDjango(text: string): Promise<DjangoParse> {
  const parser = await pythonParser();
  let tree;
  try {
    tree = parser.parse(text);
  } catch (e) {
    // tree-sitter aborted inside its WASM (out of memory on huge input, a trap): this parser's
    // state is gone, so the next file gets a new one rather than a false syntax error.
    discardPythonParser();
    return { ok: false, start: 0, end: Math.min(1, text.length), message: `the Python parser (tree-sitter) could not parse this file: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (!tree) {
    discardPythonParser();
    return { ok: false, start: 0, end: 0, message: 'Python parser returned no tree' };
  }
  try {
    const root = tree.rootNode;
    const error = firstError(root);
    if (error) return { ok: false, ...error };
    const comments: CommentSpan[] = [];
    const statements: Span[] = [];
    const functions = new Map<string, PyNode>();
    const calls: PyNode[] = [];
    for (const n of descendants(root, (t) => t === 'comment' || t === 'call' || STATEMENT.test(t))) {
      if (n.type === 'comment') comments.push({ start: n.startIndex, end: n.endIndex, body: n.text.slice(1) });
      else if (STATEMENT.test(n.type) || (n.type === 'call' && (n.parent?.type === 'list' || n.parent?.type === 'tuple'))) statements.push({ start: n.startIndex, end: n.endIndex });
      if (n.type === 'function_definition') {
        const name = n.childForFieldName('name')?.text;
        if (name && !functions.has(name)) functions.set(name, n);
      }
      if (n.type === 'call') calls.push(n);
    }
    const runSql: DjangoUnit['runSql'][number][] = [];
    const dynamicSql: DjangoUnit['dynamicSql'][number][] = [];
    const writes: DjangoWrite[] = [];
    const analysed = new Set<string>();
    for (const call of calls) {
      const name = callName(call);
      const { positional, keywords } = args(call);
      if (/(^|\.)RunSQL$/.test(name)) {
        const sql = keywords.get('sql') ?? positional[0];
        if (sql) sqlPieces(sql, text, runSql, dynamicSql);
      } else if (/(^|\.)RunPython$/.test(name)) {
        const code = keywords.get('code') ?? positional[0];
        if (!code) continue;
        if (code.type === 'lambda') {
          analyseFunction(code, 'lambda', text, functions, analysed, writes);
          continue;
        }
        const fname = code.type === 'attribute' ? code.childForFieldName('attribute')?.text : code.type === 'identifier' ? code.text : undefined;
        const fn = fname ? functions.get(fname) : undefined;
        if (fname && fn && !analysed.has(fname)) {
          analysed.add(fname);
          analyseFunction(fn, fname, text, functions, analysed, writes);
        }
      }
    }
    statements.sort((a, b) => a.start - b.start || b.end - a.end);
    writes.sort((a, b) => a.start - b.start);
    return { ok: true, unit: { runSql, dynamicSql, writes }, statements, comments };
  } finally {
    tree.delete();
  }
}
