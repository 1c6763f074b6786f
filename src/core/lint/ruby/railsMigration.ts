// The SQL of a Rails migration (db/migrate/*.rb): the string given to `execute` (and
// connection.exec_query/exec_update/…) wherever it runs forward — in `up`, in `change`, in
// `reversible { |dir| dir.up { … } }`, in `up_only { … }` — and not in `down`, `dir.down { … }` or
// `revert { … }`. Framework-managed operations (create_table, add_column, …) are Rails' business:
// schema_migrations records them once, so nothing here looks at them. The SQL is decoded with the
// offset of each character in the .rb file (escapes of double-quoted strings and heredocs
// resolved); an interpolation `#{…}` becomes an identifier of underscores of the same length, so
// the statement still parses (as a name, a value or inside a quoted literal) and keeps its shape.
import type * as Prism from '@ruby/prism';
import type { CommentSpan, Span } from '../types';
import { kind, parseRuby, type RubyNode, type RubyUnit } from './prism';

export interface DecodedSql {
  readonly value: string;
  /** offsets[i]: file offset of decoded character i; one extra entry for the end. */
  readonly offsets: number[];
}

export interface RailsExecute extends Span {
  readonly sql: DecodedSql;
}

export interface RailsMigrationUnit {
  readonly executes: readonly RailsExecute[];
}

export type RailsMigrationParse =
  | { ok: true; unit: RailsMigrationUnit; statements: Span[]; comments: CommentSpan[] }
  | { ok: false; start: number; end: number; message: string };

const EXECUTE = new Set(['execute', 'exec_query', 'exec_update', 'exec_delete', 'exec_insert']);
/** Blocks and methods whose body does not run when migrating up. */
const NOT_FORWARD = new Set(['down', 'revert']);

type Mode = 'double' | 'single' | 'raw';

/** How a literal's opening delimiter escapes its content. */
function modeOf(opening: string): Mode {
  if (/^<<[~-]?'/.test(opening)) return 'raw';
  if (opening === "'" || /^%q/.test(opening)) return 'single';
  return 'double';
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', s: ' ', e: '\x1b', a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0' };

interface Out {
  value: string;
  offsets: number[];
}

function decodeRange(text: string, from: number, to: number, mode: Mode, out: Out): void {
  let i = from;
  while (i < to) {
    const c = text[i]!;
    if (c === '\\' && mode !== 'raw' && i + 1 < to) {
      const e = text[i + 1]!;
      if (mode === 'single') {
        // Only \\ and an escaped delimiter are escapes in single quotes; `\n` stays two characters.
        if (e === '\\' || e === "'" || e === ')' || e === ']' || e === '}' || e === '>') {
          out.offsets.push(i);
          out.value += e;
          i += 2;
          continue;
        }
      } else {
        if (e === '\n') {
          i += 2;
          continue;
        }
        const hex = e === 'x' ? /^[0-9a-fA-F]{1,2}/.exec(text.slice(i + 2, Math.min(to, i + 4)))?.[0] : e === 'u' ? /^[0-9a-fA-F]{4}/.exec(text.slice(i + 2, Math.min(to, i + 6)))?.[0] : undefined;
        if (hex) {
          const ch = String.fromCodePoint(parseInt(hex, 16));
          for (let k = 0; k < ch.length; k++) out.offsets.push(i);
          out.value += ch;
          i += 2 + hex.length;
          continue;
        }
        out.offsets.push(i);
        out.value += ESCAPES[e] ?? e;
        i += 2;
        continue;
      }
    }
    out.offsets.push(i);
    out.value += c;
    i++;
  }
}

/** Appends the value of a string literal; false when it is not one (a variable, a method call). */
function decodeLiteral(node: RubyNode | undefined, unit: RubyUnit, text: string, out: Out, inherited?: Mode): boolean {
  const k = kind(node);
  if (k === 'StringNode') {
    const s = node as Prism.StringNode;
    const mode = s.openingLoc ? modeOf(text.slice(unit.span(s.openingLoc).start, unit.span(s.openingLoc).end)) : (inherited ?? 'double');
    const c = unit.span(s.contentLoc);
    decodeRange(text, c.start, c.end, mode, out);
    return true;
  }
  if (k === 'InterpolatedStringNode') {
    const s = node as Prism.InterpolatedStringNode;
    // Adjacent literals ("a" "b") have no opening of their own: each part has its quotes.
    const mode = s.openingLoc ? modeOf(text.slice(unit.span(s.openingLoc).start, unit.span(s.openingLoc).end)) : undefined;
    for (const part of s.parts) {
      const pk = kind(part);
      if (pk === 'EmbeddedStatementsNode' || pk === 'EmbeddedVariableNode') {
        const p = unit.span(part.location);
        for (let i = p.start; i < p.end; i++) {
          out.offsets.push(i);
          out.value += text[i] === '\n' ? '\n' : '_';
        }
      } else if (!decodeLiteral(part, unit, text, out, mode)) return false;
    }
    return true;
  }
  return false;
}

function runsForward(ancestors: readonly RubyNode[]): boolean {
  for (const a of ancestors) {
    const k = kind(a);
    if (k === 'DefNode' && NOT_FORWARD.has((a as Prism.DefNode).name)) return false;
    if (k === 'CallNode' && NOT_FORWARD.has((a as Prism.CallNode).name) && (a as Prism.CallNode).block) return false;
  }
  return true;
}

function isConnection(receiver: RubyNode | null | undefined, unit: RubyUnit): boolean {
  if (!receiver) return true;
  return /(^|\.)connection$/.test(unit.source(receiver));
}

/** `file`: the document's path, so its next version is parsed incrementally (./incremental.ts). */
export async function parseRailsMigration(text: string, file?: string): Promise<RailsMigrationParse> {
  const parsed = await parseRuby(text, file);
  if (!parsed.ok) return parsed;
  const { unit } = parsed;
  const executes: RailsExecute[] = [];
  for (const { node, ancestors } of unit.calls) {
    if (!EXECUTE.has(node.name) || !isConnection(node.receiver, unit) || !runsForward(ancestors)) continue;
    const arg = node.arguments_?.arguments_[0];
    const out: Out = { value: '', offsets: [] };
    if (!arg || !decodeLiteral(arg, unit, text, out)) continue;
    const end = unit.span(arg.location).end;
    out.offsets.push(out.offsets.length ? out.offsets[out.offsets.length - 1]! + 1 : end);
    const span = unit.span(node.location);
    // A heredoc's body lies after the call's own span; the statement covers it, so that a
    // `# greenlight-ignore` above `execute <<~SQL` reaches the SQL below.
    const through = Math.max(span.end, out.offsets[out.offsets.length - 1] ?? span.end);
    executes.push({ start: span.start, end: through, sql: { value: out.value, offsets: out.offsets } });
  }
  const statements = [...parsed.statements, ...executes.map((e) => ({ start: e.start, end: e.end }))];
  statements.sort((a, b) => a.start - b.start || b.end - a.end);
  return { ok: true, unit: { executes }, statements, comments: parsed.comments };
}
