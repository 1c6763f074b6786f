// The strings 'now', 'today', 'tomorrow' and 'yesterday' become a fixed time the moment PostgreSQL
// reads them as a date/time constant. In a view, a materialized view's query, a column default or a
// CHECK constraint that moment is the creation: the stored definition keeps that time for ever
// (`'now'::timestamp - interval '1 month'` in a view never moves), and every run of the migration
// that creates or replaces it stores a different time, so a second run changes the schema. Inside
// INSERT, UPDATE or a function body the string is read when the statement runs, like now(); those
// are not this rule's business.
import { bodyOf, names, walk, type PgNode } from '../../sql/ast';
import { SqlStmt, type SqlStatement } from '../../sql/parse';
import { guardedByBlock, sqlRule, type SqlCheck } from '../../sql/rule';

const SPECIAL = new Set(['now', 'today', 'tomorrow', 'yesterday']);

/** Date/time types that read the special strings, with what to write instead. */
const INSTEAD: Record<string, string> = {
  timestamptz: 'now()',
  timestamp: 'LOCALTIMESTAMP',
  date: 'CURRENT_DATE',
  time: 'LOCALTIME',
  timetz: 'CURRENT_TIME',
};

function typeOf(typeName: PgNode): string | undefined {
  const n = names(typeName?.names);
  const t = (n[n.length - 1] ?? '').toLowerCase();
  return t in INSTEAD && !(typeName?.arrayBounds ?? []).length ? t : undefined;
}

function special(constant: PgNode): string | undefined {
  const s = bodyOf(constant, 'A_Const')?.sval?.sval;
  const word = typeof s === 'string' ? s.trim().toLowerCase() : undefined;
  return word !== undefined && SPECIAL.has(word) ? word : undefined;
}

interface Frozen {
  readonly word: string;
  readonly type: string;
  /** Parser location of the string literal. */
  readonly location: number | undefined;
}

/** Casts of a special string to a date/time type below `root` ('now'::timestamp, CAST('today' AS date)). */
function frozenCasts(root: PgNode): Frozen[] {
  const out: Frozen[] = [];
  walk(root, (k, b) => {
    if (k !== 'TypeCast') return undefined;
    const word = special(b.arg);
    const type = typeOf(b.typeName);
    if (word && type) out.push({ word, type, location: bodyOf(b.arg, 'A_Const')?.location });
    return undefined;
  });
  return out;
}

/** A column definition's frozen default: a cast one, or a bare 'now' that the column's own date/time type reads. */
function frozenInColumn(def: PgNode): Frozen[] {
  const out = frozenCasts(def);
  const type = typeOf(def?.typeName);
  for (const c of def?.constraints ?? []) {
    const con = bodyOf(c, 'Constraint');
    const word = con?.contype === 'CONSTR_DEFAULT' ? special(con.raw_expr) : undefined;
    if (word && type) out.push({ word, type, location: bodyOf(con.raw_expr, 'A_Const')?.location });
  }
  return out;
}

/**
 * The definitions a second run stores again (so a frozen time differs between runs) and what
 * they are: a view is always replaced or fails, CREATE … IF NOT EXISTS and ADD COLUMN IF NOT
 * EXISTS leave the first run's definition alone.
 */
function frozenIn(stmt: SqlStatement): { where: string; found: Frozen[] } | undefined {
  const n = stmt.node;
  switch (stmt.kind) {
    case 'ViewStmt':
      return { where: 'in a view', found: frozenCasts(n.query) };
    case 'CreateTableAsStmt':
      return n.objtype === 'OBJECT_MATVIEW' && !n.if_not_exists ? { where: "in a materialized view's query", found: frozenCasts(n.query) } : undefined;
    case 'CreateStmt': {
      if (n.if_not_exists) return undefined;
      const found: Frozen[] = [];
      for (const e of n.tableElts ?? []) found.push(...(bodyOf(e, 'ColumnDef') ? frozenInColumn(bodyOf(e, 'ColumnDef')) : frozenCasts(e)));
      return { where: 'in a column default or constraint', found };
    }
    case 'AlterTableStmt': {
      const found: Frozen[] = [];
      for (const c of n.cmds ?? []) {
        const cmd = bodyOf(c, 'AlterTableCmd');
        if (cmd?.subtype === 'AT_ColumnDefault' || cmd?.subtype === 'AT_AddConstraint') found.push(...frozenCasts(cmd.def));
        if (cmd?.subtype === 'AT_AddColumn' && !cmd.missing_ok) found.push(...frozenInColumn(bodyOf(cmd.def, 'ColumnDef')));
      }
      return { where: 'in a column default or constraint', found };
    }
    default:
      return undefined;
  }
}

/**
 * Text that can spell one of the special words in a string constant: the word itself (any case),
 * a backslash (E'\x6eow'), a Unicode escape string (U&'\006eow', UESCAPE …), or two constants
 * that PostgreSQL joins into one because only whitespace with a newline (and line comments)
 * separates them ('no'<newline>'w'). Block comments are allowed there too: a wider net only
 * costs a tree walk.
 */
const MAY_SPELL = /now|today|tomorrow|yesterday|\\|u&|'(?:[ \t\f\v]|--[^\n\r]*|\/\*[\s\S]*?\*\/)*[\n\r](?:\s|--[^\n\r]*|\/\*[\s\S]*?\*\/)*'/i;

/**
 * Whether the statement can hold a special string at all. Most CREATE and ALTER TABLE statements
 * cannot, and reading their text is much cheaper than walking their trees. Statements whose
 * text is not at hand (moved out of a DO block) are walked.
 */
function maySpell(stmt: SqlStatement): boolean {
  const source = stmt instanceof SqlStmt ? stmt.source : undefined;
  return source === undefined || MAY_SPELL.test(source);
}

/** What means the same when it is used: 'today'::timestamp is midnight, CURRENT_DATE as a timestamp. */
function instead(f: Frozen): string {
  if (f.word === 'now' || f.type === 'time' || f.type === 'timetz') return INSTEAD[f.type]!;
  const day = f.word === 'tomorrow' ? 'CURRENT_DATE + 1' : f.word === 'yesterday' ? 'CURRENT_DATE - 1' : 'CURRENT_DATE';
  if (f.type === 'date') return day;
  return `(${day})::${f.type}`;
}

/** The literal's span in the file, when the statement's text is there to find it in. */
function literalSpan(stmt: SqlStatement, c: SqlCheck, location: number | undefined): { start: number; end: number } | undefined {
  if (location === undefined || stmt.dynamic) return undefined;
  const start = stmt.at(location);
  const m = /^'[^']*'/.exec(c.unit.text.slice(start, start + 40));
  return m ? { start, end: start + m[0].length } : undefined;
}

export const frozenNowLiteral = sqlRule(
  {
    code: 'sql-frozen-now-literal',
    tags: ['idempotency', 'correctness'],
    defaultSeverity: 'error',
    description: "'now', 'today', 'tomorrow' or 'yesterday' cast to a date/time type in a view, column default or constraint is fixed when it is created: the definition keeps that time, and each run stores a different one.",
    help: 'Write an expression that is evaluated when it is used: now(), LOCALTIMESTAMP, CURRENT_DATE (± 1 for tomorrow or yesterday), LOCALTIME or CURRENT_TIME.',
    fixable: false,
  },
  ['ViewStmt', 'CreateTableAsStmt', 'CreateStmt', 'AlterTableStmt'],
  (stmt, c) => {
    if (guardedByBlock(stmt, []) || !maySpell(stmt)) return;
    const r = frozenIn(stmt);
    if (!r) return;
    for (const f of r.found) {
      c.report(
        stmt,
        `'${f.word}'::${f.type} ${r.where} is fixed to the time it is created, and every run stores a different time; write ${instead(f)} to mean the time it is used.`,
        undefined,
        literalSpan(stmt, c, f.location),
      );
    }
  },
);
