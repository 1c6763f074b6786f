// What the statements of one file do to named objects, in execution order. Several idioms make a
// statement re-runnable only in context: `DROP … IF EXISTS` (or a DROP of the owning table) before
// a CREATE, an object created and dropped again in the same file, rows inserted into a table the
// file has just created, truncated or deleted from. Rules ask these questions here.
import { bodyOf, names, qualifiedKey, relKey, type PgNode } from './ast';
import { SqlStmt, type SqlStatement, type SqlUnit } from './parse';

type Effect = 'create' | 'create-if-missing' | 'create-temp' | 'drop' | 'clear' | 'insert';

interface EffectRecord {
  readonly index: number;
  readonly effect: Effect;
  /** `rel:public.users`, `col:public.users.email`, `schema:app`… */
  readonly key: string;
}

/** Object classes that share PostgreSQL's relation namespace (pg_class). */
const REL_TYPES = new Set(['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_INDEX', 'OBJECT_SEQUENCE', 'OBJECT_FOREIGN_TABLE']);
const TYPE_TYPES = new Set(['OBJECT_TYPE', 'OBJECT_DOMAIN']);
const FUNC_TYPES = new Set(['OBJECT_FUNCTION', 'OBJECT_PROCEDURE', 'OBJECT_ROUTINE', 'OBJECT_AGGREGATE']);
const ON_TABLE_TYPES: { [k: string]: string } = { OBJECT_TRIGGER: 'trig', OBJECT_POLICY: 'pol', OBJECT_RULE: 'rule' };

export function typeKey(parts: readonly string[]): string {
  return `type:${qualifiedKey(parts)}`;
}

/** Keys a DropStmt removes. */
function dropKeys(node: PgNode): string[] {
  const t: string = node.removeType;
  const out: string[] = [];
  for (const obj of node.objects ?? []) {
    const list = bodyOf(obj, 'List')?.items;
    const parts = list ? names(list) : [];
    if (REL_TYPES.has(t)) out.push(`rel:${qualifiedKey(parts)}`);
    else if (TYPE_TYPES.has(t)) out.push(typeKey(names(bodyOf(obj, 'TypeName')?.names) .length ? names(bodyOf(obj, 'TypeName')?.names) : parts));
    else if (t === 'OBJECT_SCHEMA') out.push(`schema:${bodyOf(obj, 'String')?.sval}`);
    else if (t === 'OBJECT_EXTENSION') out.push(`ext:${bodyOf(obj, 'String')?.sval}`);
    else if (FUNC_TYPES.has(t)) out.push(`func:${qualifiedKey(names(bodyOf(obj, 'ObjectWithArgs')?.objname))}`);
    else if (ON_TABLE_TYPES[t] && parts.length >= 2) out.push(`${ON_TABLE_TYPES[t]}:${qualifiedKey(parts.slice(0, -1))}.${parts[parts.length - 1]}`);
    else if (t === 'OBJECT_ROLE') out.push(`role:${parts[0] ?? bodyOf(obj, 'String')?.sval}`);
    else out.push(`${t}:${parts.join('.') || bodyOf(obj, 'String')?.sval}`);
  }
  return out;
}

/**
 * The name a table constraint gets: its own, or for an unnamed PRIMARY KEY the one PostgreSQL
 * gives it (<table>_pkey), so a DROP CONSTRAINT <table>_pkey before it pairs with it.
 */
export function constraintName(con: PgNode, table: string | undefined): string | undefined {
  if (con.conname) return con.conname;
  return con.contype === 'CONSTR_PRIMARY' && table ? `${table}_pkey` : undefined;
}

/** What one statement creates, drops, clears or inserts into. */
export function effectsOf(stmt: SqlStatement): { effect: Effect; key: string }[] {
  const n = stmt.node;
  const ifMissing = (flag: unknown): Effect => (flag ? 'create-if-missing' : 'create');
  switch (stmt.kind) {
    case 'CreateStmt':
      return [{ effect: n.relation?.relpersistence === 't' ? 'create-temp' : ifMissing(n.if_not_exists), key: `rel:${relKey(n.relation)}` }];
    case 'CreateTableAsStmt':
      return [{ effect: ifMissing(n.if_not_exists), key: `rel:${relKey(n.into?.rel)}` }];
    case 'SelectStmt':
      return n.intoClause ? [{ effect: 'create', key: `rel:${relKey(n.intoClause.rel)}` }] : [];
    case 'ViewStmt':
      return [{ effect: n.replace ? 'create-if-missing' : 'create', key: `rel:${relKey(n.view)}` }];
    case 'IndexStmt':
      return n.idxname ? [{ effect: ifMissing(n.if_not_exists), key: `rel:${n.relation?.schemaname ?? 'public'}.${n.idxname}` }] : [];
    case 'CreateSeqStmt':
      return [{ effect: ifMissing(n.if_not_exists), key: `rel:${relKey(n.sequence)}` }];
    case 'CreateSchemaStmt':
      return [{ effect: ifMissing(n.if_not_exists), key: `schema:${n.schemaname}` }];
    case 'CreateExtensionStmt':
      return [{ effect: ifMissing(n.if_not_exists), key: `ext:${n.extname}` }];
    case 'CreateEnumStmt':
    case 'CreateRangeStmt':
      return [{ effect: 'create', key: typeKey(names(n.typeName)) }];
    case 'CompositeTypeStmt':
      return [{ effect: 'create', key: `type:${relKey(n.typevar)}` }];
    case 'CreateDomainStmt':
      return [{ effect: 'create', key: typeKey(names(n.domainname)) }];
    case 'CreateFunctionStmt':
      return [{ effect: n.replace ? 'create-if-missing' : 'create', key: `func:${qualifiedKey(names(n.funcname))}` }];
    case 'CreateTrigStmt':
      return [{ effect: n.replace ? 'create-if-missing' : 'create', key: `trig:${relKey(n.relation)}.${n.trigname}` }];
    case 'CreatePolicyStmt':
      return [{ effect: 'create', key: `pol:${relKey(n.table)}.${n.policy_name}` }];
    case 'CreateRoleStmt':
      return [{ effect: 'create', key: `role:${n.role}` }];
    case 'DropStmt':
      return dropKeys(n).map((key) => ({ effect: 'drop' as const, key }));
    case 'AlterTableStmt': {
      const table = relKey(n.relation);
      const out: { effect: Effect; key: string }[] = [];
      for (const c of n.cmds ?? []) {
        const cmd = bodyOf(c, 'AlterTableCmd');
        if (!cmd) continue;
        if (cmd.subtype === 'AT_AddColumn') out.push({ effect: ifMissing(cmd.missing_ok), key: `col:${table}.${bodyOf(cmd.def, 'ColumnDef')?.colname}` });
        if (cmd.subtype === 'AT_DropColumn') out.push({ effect: 'drop', key: `col:${table}.${cmd.name}` });
        if (cmd.subtype === 'AT_DropConstraint') out.push({ effect: 'drop', key: `con:${table}.${cmd.name}` });
        const con = bodyOf(cmd.def, 'Constraint');
        if (cmd.subtype === 'AT_AddConstraint' && con) {
          const name = constraintName(con, n.relation?.relname);
          if (name) out.push({ effect: 'create', key: `con:${table}.${name}` });
        }
      }
      return out;
    }
    case 'RenameStmt': {
      if (n.renameType === 'OBJECT_TABLE' || n.renameType === 'OBJECT_VIEW' || n.renameType === 'OBJECT_INDEX' || n.renameType === 'OBJECT_SEQUENCE' || n.renameType === 'OBJECT_MATVIEW') {
        return [
          { effect: 'drop', key: `rel:${relKey(n.relation)}` },
          { effect: 'create', key: `rel:${n.relation?.schemaname ?? 'public'}.${n.newname}` },
        ];
      }
      if ((n.renameType === 'OBJECT_TYPE' || n.renameType === 'OBJECT_DOMAIN') && n.newname) {
        const parts = names(bodyOf(n.object, 'List')?.items ?? n.object);
        if (!parts.length) return [];
        return [
          { effect: 'drop', key: typeKey(parts) },
          { effect: 'create', key: typeKey([...parts.slice(0, -1), n.newname]) },
        ];
      }
      if (n.renameType === 'OBJECT_COLUMN') {
        const table = relKey(n.relation);
        return [
          { effect: 'drop', key: `col:${table}.${n.subname}` },
          { effect: 'create', key: `col:${table}.${n.newname}` },
        ];
      }
      return [];
    }
    case 'TruncateStmt':
      return (n.relations ?? []).map((r: PgNode) => ({ effect: 'clear' as const, key: `rel:${relKey(bodyOf(r, 'RangeVar'))}` }));
    case 'DeleteStmt':
      return [{ effect: 'clear', key: `rel:${relKey(n.relation)}` }];
    case 'InsertStmt':
      return [{ effect: 'insert', key: `rel:${relKey(n.relation)}` }];
    default:
      return [];
  }
}

/** The questions rules ask about the rest of the file (FileFacts answers them). */
export interface Facts {
  droppedBefore(key: string, index: number, owner?: string): boolean;
  droppedAfter(key: string, index: number, owner?: string): boolean;
  createdBefore(key: string, index: number): boolean;
  createdAfter(key: string, index: number): boolean;
  freshTable(rel: string, index: number): boolean;
  clearedBefore(rel: string, index: number): boolean;
  clearedAfter(rel: string, index: number): boolean;
  insertsInto(rel: string): boolean;
  insertTargets(): ReadonlySet<string>;
}

export class FileFacts implements Facts {
  /** Records by key, in execution order: every question is about one key (and its owner). */
  readonly #byKey = new Map<string, EffectRecord[]>();
  /** Schema drops cover every key in the schema, so they are asked about separately. */
  readonly #schemaDrops: EffectRecord[] = [];
  #inserted: Set<string> | undefined;
  #insertedKey: string | undefined;

  constructor(statements: readonly SqlStatement[]) {
    for (const s of statements) {
      for (const e of cachedEffects(s)) {
        const r: EffectRecord = { index: s.index, effect: e.effect, key: e.key };
        const list = this.#byKey.get(e.key);
        if (list) list.push(r);
        else this.#byKey.set(e.key, [r]);
        if (e.effect === 'drop' && e.key.startsWith('schema:')) this.#schemaDrops.push(r);
      }
    }
  }

  #records(key: string): readonly EffectRecord[] {
    return this.#byKey.get(key) ?? NONE;
  }

  /** Whether a drop that removes `key` (itself, its owner, or its schema) is before (or after) `index`. */
  #dropped(key: string, owner: string | undefined, index: number, before: boolean): boolean {
    for (const list of [this.#records(key), owner === undefined ? NONE : this.#records(owner)]) {
      for (const r of list) if (r.effect === 'drop' && (before ? r.index < index : r.index > index)) return true;
    }
    for (const r of this.#schemaDrops) if ((before ? r.index < index : r.index > index) && covers(r.key, key, owner)) return true;
    return false;
  }

  /**
   * Whether `key` (or the table that owns it, or its schema) is dropped before statement `index`,
   * so a CREATE there starts from nothing on every run.
   */
  droppedBefore(key: string, index: number, owner?: string): boolean {
    return this.#dropped(key, owner, index, true);
  }

  /** Whether `key` (or its owner) is dropped again later in the file, so the next run can create it again. */
  droppedAfter(key: string, index: number, owner?: string): boolean {
    return this.#dropped(key, owner, index, false);
  }

  /** Whether the file creates `key` before `index` (so a DROP there always finds it). */
  createdBefore(key: string, index: number): boolean {
    return this.#records(key).some((r) => r.index < index && r.effect.startsWith('create'));
  }

  /**
   * Whether the file creates `key` again after `index`: a DROP (or a rename away) there finds it
   * on the next run, because the first run ended by re-creating it.
   */
  createdAfter(key: string, index: number): boolean {
    return this.#records(key).some((r) => r.index > index && r.effect.startsWith('create'));
  }

  /**
   * Whether table `rel` is new at `index` on every run: this file dropped it before (and so
   * creates it anew), or it is a temporary table created in this session. A plain CREATE TABLE
   * alone does not count: it is itself flagged, and once fixed with IF NOT EXISTS the table
   * survives between runs.
   */
  freshTable(rel: string, index: number): boolean {
    return this.#records(rel).some((r) => r.index < index && (r.effect === 'create-temp' || r.effect === 'drop'));
  }

  /** Whether the table's rows are removed (TRUNCATE, DELETE) or the table is new before `index`. */
  clearedBefore(rel: string, index: number): boolean {
    return this.freshTable(rel, index) || this.#records(rel).some((r) => r.index < index && r.effect === 'clear');
  }

  /**
   * Whether the table's rows are removed (DELETE, TRUNCATE, DROP) after `index`: what a statement
   * there reads from it is gone when the next run reaches it.
   */
  clearedAfter(rel: string, index: number): boolean {
    return this.#records(rel).some((r) => r.index > index && (r.effect === 'clear' || r.effect === 'drop'));
  }

  /** Whether the file inserts into `rel` anywhere (a marker row used by a NOT EXISTS guard). */
  insertsInto(rel: string): boolean {
    return this.insertTargets().has(rel);
  }

  /** The same set as one string, to compare answers between lints cheaply. */
  insertTargetsKey(): string {
    this.#insertedKey ??= [...this.insertTargets()].sort().join('\n');
    return this.#insertedKey;
  }

  /** Every table the file inserts into (`rel:schema.table`). */
  insertTargets(): ReadonlySet<string> {
    if (!this.#inserted) {
      this.#inserted = new Set();
      for (const [key, records] of this.#byKey) if (records.some((r) => r.effect === 'insert')) this.#inserted.add(key);
    }
    return this.#inserted;
  }
}

const NONE: readonly EffectRecord[] = [];

/**
 * A statement's effects depend only on its parse tree, which a cached statement shares with its
 * copies: computed once and kept with the cached statement.
 */
function cachedEffects(stmt: SqlStatement): readonly { effect: Effect; key: string }[] {
  if (!(stmt instanceof SqlStmt)) return effectsOf(stmt);
  const keep = stmt.origin ?? stmt;
  keep.effects ??= effectsOf(stmt);
  return keep.effects as readonly { effect: Effect; key: string }[];
}

/** Whether dropping `dropped` removes `key`: the same object, its owning table, or its schema. */
function covers(dropped: string, key: string, owner?: string): boolean {
  if (dropped === key || (owner !== undefined && dropped === owner)) return true;
  if (dropped.startsWith('schema:')) {
    const schema = dropped.slice('schema:'.length);
    const name = key.slice(key.indexOf(':') + 1);
    return name.startsWith(`${schema}.`) || (owner !== undefined && owner.slice(owner.indexOf(':') + 1).startsWith(`${schema}.`));
  }
  return false;
}

const cache = new WeakMap<SqlUnit, FileFacts>();

export function factsOf(unit: SqlUnit): FileFacts {
  let f = cache.get(unit);
  if (!f) {
    f = new FileFacts(unit.statements);
    cache.set(unit, f);
  }
  return f;
}

