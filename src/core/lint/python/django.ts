// What the Django rules need from a migration file, extracted while the tree-sitter tree is alive
// (tree-sitter trees live in WASM memory and are freed right after): the SQL of every RunSQL (as
// embedded SQL with offsets), RunSQL calls whose SQL is computed, and the writes made by each
// RunPython forward function — creates, self-referencing or time-based updates, whole-table
// deletes — with whether a guard (an existence check, `except IntegrityError`) protects them.
// Framework-managed operations (CreateModel, AddField, AlterField, …) are Django's business: the
// migration recorder runs them once, so nothing here looks at them.
import type { CommentSpan, Span } from '../types';
import type { Language } from 'web-tree-sitter';
import { parseTree } from '../treeSitter';
import { decodeString, descendants, discardPythonParser, firstError, PYTHON_GRAMMAR, pythonParser, type DecodedString, type PyNode } from './treeSitter';

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
const VOLATILE = /^(timezone\.now|datetime\.now|datetime\.utcnow|datetime\.datetime\.now|datetime\.datetime\.utcnow|Now|uuid\.uuid4|uuid4|random\.random|random\.randint|secrets\.token_hex|RandomUUID|uuid\.uuid1)$/;
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

/**
 * The manager a write is called on, past `.using(alias)` / `.db_manager(alias)`: data migrations
 * write `Model.objects.using(schema_editor.connection.alias).bulk_create(…)`.
 */
function managerOf(obj: PyNode): PyNode {
  let o = obj;
  for (;;) {
    const f = o.type === 'call' ? o.childForFieldName('function') : null;
    const attr = f?.type === 'attribute' ? f.childForFieldName('attribute')?.text : undefined;
    const inner = f?.childForFieldName('object');
    if (!inner || (attr !== 'using' && attr !== 'db_manager')) return o;
    o = inner;
  }
}

function inside(n: PyNode, outer: PyNode | null | undefined): boolean {
  return !!outer && n.startIndex >= outer.startIndex && n.endIndex <= outer.endIndex;
}

/**
 * Per analysed function (set on entry to analyseFunction and restored on exit, all within one
 * synchronous pass over a parsed file): local names bound to a query result or to the result of a helper of the
 * file (`group = find_group(perms, groups)`), so `if group: … continue` counts as a check.
 */
let queryVars: ReadonlySet<string> = new Set();

function containsQuery(n: PyNode | null): boolean {
  if (!n) return false;
  if (queryVars.size && [...descendants(n, (t) => t === 'identifier')].some((d) => queryVars.has(d.text)) ) return true;
  if (n.type === 'identifier' && queryVars.has(n.text)) return true;
  for (const d of descendants(n, isCall)) {
    const f = d.childForFieldName('function');
    if (f?.type === 'attribute' && QUERY_ATTRS.has(f.childForFieldName('attribute')?.text ?? '')) return true;
  }
  return false;
}

function isExitClause(stmt: PyNode): boolean {
  if (stmt.type !== 'if_statement') return false;
  const body = stmt.childForFieldName('consequence');
  // The branch leaves the block when it ends with return/continue/break/raise.
  const last = body?.namedChildren.filter((c) => c && c.type !== 'comment').pop();
  return !!last && ['return_statement', 'continue_statement', 'break_statement', 'raise_statement'].includes(last.type) && containsQuery(stmt.childForFieldName('condition'));
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
    for (const q of descendants(d, (t) => t === 'keyword_argument')) {
      const name = q.childForFieldName('name')?.text ?? '';
      // filter(size__isnull=False) still matches the rows it converted: no guard for `size`.
      if (attr === 'filter' && name.endsWith('__isnull') && q.childForFieldName('value')?.text === 'False') continue;
      out.add(name.split('__')[0]!);
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
  const outerVars = queryVars;
  const vars = new Set<string>();
  for (const d of descendants(fn, (t) => t === 'assignment')) {
    const left = d.childForFieldName('left');
    const right = d.childForFieldName('right');
    if (left?.type !== 'identifier' || right?.type !== 'call') continue;
    const callee = callName(right);
    if (functions.has(callee) || containsQuery(right)) vars.add(left.text);
  }
  // Names bound to a queryset (`accounts = User.objects.all()`), for `for x in accounts`.
  const querysets = new Set<string>();
  for (const d of descendants(fn, (t) => t === 'assignment')) {
    const left = d.childForFieldName('left');
    const right = d.childForFieldName('right');
    if (left?.type === 'identifier' && right && /\.objects\b/.test(right.text)) querysets.add(left.text);
  }
  queryVars = vars;
  /** `for x in <queryset>`: the loop variable of an enclosing loop over rows of the database. */
  const rowVariable = (name: string, at: PyNode): boolean => {
    for (let a = at.parent; a && a !== fn; a = a.parent) {
      if (a.type !== 'for_statement' || a.childForFieldName('left')?.text !== name) continue;
      const right = a.childForFieldName('right')?.text ?? '';
      return /\.objects\b|\.all\(|\.iterator\(|\.filter\(/.test(right) || vars.has(right) || querysets.has(right) || [...models].some((m) => right.startsWith(`${m}.`));
    }
    return false;
  };
  /** A local helper whose body returns something new on every call (get_token → uuid4()). */
  const volatileHelper = (callee: string): boolean => {
    const helper = functions.get(callee);
    return !!helper && [...descendants(helper, isCall)].some((d) => VOLATILE.test(callName(d)));
  };
  // `row.field = <new value>` then `row.save()` for every row of a loop over the database.
  for (const d of descendants(fn, (t) => t === 'assignment')) {
    const left = d.childForFieldName('left');
    const right = d.childForFieldName('right');
    if (left?.type !== 'attribute' || !right) continue;
    const row = left.childForFieldName('object');
    const field = left.childForFieldName('attribute')?.text;
    if (row?.type !== 'identifier' || !field || !rowVariable(row.text, d)) continue;
    const volatile = [...descendants(right, isCall)].find((c) => VOLATILE.test(callName(c)) || volatileHelper(callName(c)));
    if (!volatile && !(right.type === 'call' && (VOLATILE.test(callName(right)) || volatileHelper(callName(right))))) continue;
    const saved = [...descendants(fn, isCall)].some((c) => c.startIndex > d.startIndex && callName(c) === `${row.text}.save`);
    // Rows selected by the field being empty (filter(field=None), field__isnull=True) are skipped once filled.
    const filled = new RegExp(`\\b${field}(__isnull\\s*=\\s*True|\\s*=\\s*None)`).test(fn.text);
    if (!saved || filled) continue;
    writes.push({ start: d.startIndex, end: d.endIndex, text: short(d.text), func: name, kind: 'update', field, reason: `${callName(volatile ?? right)}() differs on every run`, guard: guardOf(d), loop: loopOf(d) });
  }
  const deletes: { call: PyNode; manager: string; filters: Map<string, string> }[] = [];
  const updates: { start: number; manager: string; after: Map<string, string> }[] = [];
  for (const call of descendants(fn, isCall)) {
    const f = call.childForFieldName('function');
    if (f?.type === 'identifier' && functions.has(f.text) && !seen.has(f.text)) {
      seen.add(f.text);
      // A helper called behind a check is as guarded as its call site.
      const siteGuard = guardOf(call);
      const before = writes.length;
      analyseFunction(functions.get(f.text)!, f.text, text, functions, seen, writes);
      queryVars = vars;
      if (siteGuard) for (let i = before; i < writes.length; i++) writes[i] = { ...writes[i]!, guard: writes[i]!.guard ?? `${siteGuard} (at the call in ${name})` };
      continue;
    }
    if (f?.type !== 'attribute') continue;
    const attr = f.childForFieldName('attribute')?.text ?? '';
    const written = f.childForFieldName('object');
    if (!written) continue;
    const obj = managerOf(written);
    const base = { start: call.startIndex, end: call.endIndex, text: short(call.text), func: name };
    const { keywords } = args(call);
    const relatedOfRow = obj.type === 'attribute' && obj.childForFieldName('object')?.type === 'identifier' && rowVariable(obj.childForFieldName('object')!.text, call);
    if (attr === 'create' && (MANAGER.test(obj.text) || relatedOfRow)) {
      writes.push({ ...base, kind: 'create', guard: guardOf(call), loop: loopOf(call) });
    } else if (attr === 'bulk_create' && MANAGER.test(obj.text)) {
      const safe = ['ignore_conflicts', 'update_conflicts'].some((k) => keywords.get(k)?.text === 'True');
      if (!safe) writes.push({ ...base, kind: 'bulk_create', guard: guardOf(call), loop: loopOf(call) });
    } else if (attr === 'save') {
      const fromCtor = obj.type === 'call' && isModel(callName(obj));
      const fromVar = obj.type === 'identifier' && instances.has(obj.text) && instances.get(obj.text)! < call.startIndex;
      if (fromCtor || fromVar) writes.push({ ...base, kind: 'save', guard: guardOf(call), loop: loopOf(call) });
    }
    if ((attr === 'delete' || attr === 'update') && written.type === 'call') {
      const chain = literalFilters(written, text);
      if (chain && attr === 'delete') deletes.push({ call, manager: chain.manager, filters: chain.filters });
      if (chain && attr === 'update') {
        const after = new Map(chain.filters);
        for (const [k, v] of keywords) {
          const lit = decodeString(v, text)?.value;
          if (lit === undefined) after.delete(k);
          else after.set(k, lit);
        }
        updates.push({ start: call.startIndex, manager: chain.manager, after });
      }
    }
    if (attr === 'update' && keywords.size) {
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
  // Delete-then-move: filter(app_label='core', model='x').delete() followed by
  // filter(app_label='extras', model='x').update(app_label='core'). The first run deletes a stale
  // row and moves the right one in; a rerun deletes the row the first run moved.
  for (const d of deletes) {
    const moved = updates.find((u) => u.start > d.call.startIndex && u.manager === d.manager && [...d.filters].every(([k, v]) => u.after.get(k) === v));
    if (!moved) continue;
    writes.push({ start: d.call.startIndex, end: d.call.endIndex, text: short(d.call.text), func: name, kind: 'delete', reason: 'the update after it moves rows into what it deletes, so a rerun deletes them', guard: guardOf(d.call), loop: loopOf(d.call) });
  }
  queryVars = outerVars;
}

/** `Model.objects[.using(a)].filter(k='v', …)` with only string literals: the manager text and the filters. */
function literalFilters(chain: PyNode, text: string): { manager: string; filters: Map<string, string> } | undefined {
  const f = chain.childForFieldName('function');
  if (f?.type !== 'attribute' || f.childForFieldName('attribute')?.text !== 'filter') return undefined;
  const inner = f.childForFieldName('object');
  if (!inner) return undefined;
  const manager = managerOf(inner);
  if (!MANAGER.test(manager.text)) return undefined;
  const { positional, keywords } = args(chain);
  if (positional.length || !keywords.size) return undefined;
  const filters = new Map<string, string>();
  for (const [k, v] of keywords) {
    const lit = v.type === 'string' ? decodeString(v, text)?.value : undefined;
    if (lit === undefined) return undefined;
    filters.set(k, lit);
  }
  return { manager: manager.text, filters };
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

/**
 * `constants`: module-level `NAME = "…"` strings, so RunSQL(NAME) is checked as the SQL it runs.
 */
function sqlPieces(value: PyNode, text: string, out: DjangoUnit['runSql'][number][], dynamic: DjangoUnit['dynamicSql'][number][], constants: ReadonlyMap<string, PyNode>, params = false): void {
  if (value.type === 'identifier' && constants.has(value.text)) {
    sqlPieces(constants.get(value.text)!, text, out, dynamic, constants, params);
    return;
  }
  if (value.type === 'list' || value.type === 'tuple') {
    for (const item of value.namedChildren) {
      if (!item || item.type === 'comment') continue;
      // RunSQL accepts [(sql, params), …]: the SQL is the first element.
      if (item.type === 'tuple' || item.type === 'parenthesized_expression') {
        const first = item.namedChildren.find((c) => c && c.type !== 'comment');
        if (first) sqlPieces(first, text, out, dynamic, constants, true);
      } else sqlPieces(item, text, out, dynamic, constants);
    }
    return;
  }
  const decoded = decodeString(value, text);
  if (decoded) out.push({ start: value.startIndex, end: value.endIndex, sql: params ? withPlaceholders(decoded) : decoded });
  else if (value.type === 'attribute' && /RunSQL\.noop$/.test(value.text)) return;
  else dynamic.push({ start: value.startIndex, end: value.endIndex, why: value.type === 'string' ? 'an f-string' : `computed (${value.type.replace(/_/g, ' ')})` });
}

/**
 * The SQL of a RunSQL call, kept by the call's text with offsets relative to its start: a Django
 * migration being edited has hundreds of RunSQL, and reading each one's arguments through WASM again
 * on every edit was a third of the time. A call that names a module constant is read every time
 * (the constant may have changed).
 */
const RUN_SQL_KEPT = 20_000;
const runSqlByText = new Map<string, { runSql: DjangoUnit['runSql'][number][]; dynamic: DjangoUnit['dynamicSql'][number][] }>();

/** Forgets every kept RunSQL (tests compare extraction with and without them). */
export function forgetDjangoRunSql(): void {
  runSqlByText.clear();
}

function runSqlOf(call: PyNode, text: string, constants: ReadonlyMap<string, PyNode>, runSql: DjangoUnit['runSql'][number][], dynamicSql: DjangoUnit['dynamicSql'][number][]): void {
  const start = call.startIndex;
  const source = text.slice(start, call.endIndex);
  const known = runSqlByText.get(source);
  if (known) {
    for (const r of known.runSql) runSql.push({ start: r.start + start, end: r.end + start, sql: { value: r.sql.value, offsets: r.sql.offsets.map((o) => o + start) } });
    for (const d of known.dynamic) dynamicSql.push({ ...d, start: d.start + start, end: d.end + start });
    return;
  }
  const { positional, keywords } = args(call);
  const sql = keywords.get('sql') ?? positional[0];
  if (!sql) return;
  const out: DjangoUnit['runSql'][number][] = [];
  const dynamic: DjangoUnit['dynamicSql'][number][] = [];
  let usesConstant = false;
  // Whether the SQL is a name at all (a constant or not, it may become one): asked of `has` first.
  const watched: ReadonlyMap<string, PyNode> = {
    has: (k: string) => {
      usesConstant = true;
      return constants.has(k);
    },
    get: (k: string) => {
      usesConstant = true;
      return constants.get(k);
    },
  } as ReadonlyMap<string, PyNode>;
  sqlPieces(sql, text, out, dynamic, watched);
  runSql.push(...out);
  dynamicSql.push(...dynamic);
  if (usesConstant) return;
  if (runSqlByText.size >= RUN_SQL_KEPT) runSqlByText.clear();
  runSqlByText.set(source, {
    runSql: out.map((r) => ({ start: r.start - start, end: r.end - start, sql: { value: r.sql.value, offsets: r.sql.offsets.map((o) => o - start) } })),
    dynamic: dynamic.map((d) => ({ ...d, start: d.start - start, end: d.end - start })),
  });
}

const STATEMENT = /(_statement|_definition)$/;

const outlineTypes = new Map<Language, string[]>();

/**
 * The comments, calls and statements of a file in document order (outer before inner), collected
 * inside WASM (descendantsOfType): much cheaper on a large migration than visiting every node from
 * JavaScript.
 */
function outline(root: PyNode, language: Language): PyNode[] {
  let types = outlineTypes.get(language);
  if (!types) {
    const found = new Set(['comment', 'call']);
    for (let id = 0; id < language.nodeTypeCount; id++) {
      const t = language.nodeTypeForId(id);
      if (t && language.nodeTypeIsNamed(id) && STATEMENT.test(t)) found.add(t);
    }
    outlineTypes.set(language, (types = [...found]));
  }
  return root.descendantsOfType(types).filter((n): n is PyNode => !!n);
}

/** `file`: the document's path, so its next version is parsed incrementally (../treeSitter.ts). */
export async function parseDjango(text: string, file?: string): Promise<DjangoParse> {
  const parser = await pythonParser();
  let parsed;
  try {
    parsed = parseTree(parser, PYTHON_GRAMMAR, text, file);
  } catch (e) {
    // tree-sitter aborted inside its WASM (out of memory on huge input, a trap): this parser's
    // state is gone, so the next file gets a new one rather than a false syntax error.
    discardPythonParser();
    return { ok: false, start: 0, end: Math.min(1, text.length), message: `the Python parser (tree-sitter) could not parse this file: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (!parsed) {
    discardPythonParser();
    return { ok: false, start: 0, end: 0, message: 'Python parser returned no tree' };
  }
  try {
    const root = parsed.tree.rootNode;
    const error = firstError(root);
    if (error) return { ok: false, ...error };
    const comments: CommentSpan[] = [];
    const statements: Span[] = [];
    const functions = new Map<string, PyNode>();
    const calls: PyNode[] = [];
    for (const n of outline(root, parser.language!)) {
      // A node's type, end and parent are each a call into WASM: read once.
      const type = n.type;
      if (type === 'comment') {
        const end = n.endIndex;
        comments.push({ start: n.startIndex, end, body: text.slice(n.startIndex + 1, end) });
      } else if (STATEMENT.test(type)) statements.push({ start: n.startIndex, end: n.endIndex });
      else if (type === 'call') {
        const parentType = n.parent?.type;
        if (parentType === 'list' || parentType === 'tuple') statements.push({ start: n.startIndex, end: n.endIndex });
      }
      if (type === 'function_definition') {
        const name = n.childForFieldName('name')?.text;
        if (name && !functions.has(name)) functions.set(name, n);
      }
      if (type === 'call') calls.push(n);
    }
    const named = new Map<string, PyNode>();
    for (const st of root.namedChildren) {
      const a = st?.type === 'expression_statement' ? st.namedChildren[0] : undefined;
      const left = a?.type === 'assignment' ? a.childForFieldName('left') : undefined;
      const right = a?.childForFieldName('right');
      // A name assigned twice is not a constant.
      if (left?.type === 'identifier' && right) named.set(left.text, named.has(left.text) ? (undefined as unknown as PyNode) : right);
    }
    const constants = new Map([...named].filter(([, v]) => v && (v.type === 'string' || v.type === 'concatenated_string')));
    const runSql: DjangoUnit['runSql'][number][] = [];
    const dynamicSql: DjangoUnit['dynamicSql'][number][] = [];
    const writes: DjangoWrite[] = [];
    const analysed = new Set<string>();
    for (const call of calls) {
      // The callee's text is part of the call's: a call without "Run" in it is no RunSQL or RunPython.
      if (!text.slice(call.startIndex, call.endIndex).includes('Run')) continue;
      const name = callName(call);
      // Most calls of a large migration are other operations and their fields: arguments are read
      // only for RunSQL and RunPython.
      if (!/(^|\.)Run(SQL|Python)$/.test(name)) continue;
      if (/(^|\.)RunSQL$/.test(name)) {
        runSqlOf(call, text, constants, runSql, dynamicSql);
        continue;
      }
      const { positional, keywords } = args(call);
      if (/(^|\.)RunPython$/.test(name)) {
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
    parsed.release();
  }
}
