// The shapes every lint language and rule share. A language turns text into a parsed unit plus
// the statements and comments the engine needs for suppressions; a rule inspects one unit and
// reports findings by character offset. Positions (line/column) are computed once, by the engine.

export type LanguageId = 'sql' | 'aql' | 'arango-json' | 'ruby' | 'rails-migration' | 'python' | 'javascript';
export type Severity = 'error' | 'warning' | 'info';

/** A half-open character range [start, end) into the file's text (UTF-16 offsets, as in JS strings). */
export interface Span {
  readonly start: number;
  readonly end: number;
}

export interface TextEdit extends Span {
  readonly newText: string;
}

export interface Fix {
  readonly title: string;
  readonly edits: readonly TextEdit[];
}

export interface RuleMeta {
  /** Stable kebab-case code prefixed by language: sql-…, aql-…, aql-json-…, aql-js-…, seed-…, django-…. */
  readonly code: string;
  readonly language: LanguageId;
  /** Tags; re-run safety rules carry 'idempotency'. */
  readonly tags: readonly string[];
  readonly defaultSeverity: Severity;
  /** One sentence: what the rule catches. */
  readonly description: string;
  /** What to do instead (shown with each finding). */
  readonly help: string;
  /** True when the rule offers a mechanical fix. */
  readonly fixable: boolean;
}

/** What a rule reports; severity and position are added by the engine. */
export interface RuleReport extends Span {
  readonly message: string;
  readonly fix?: Fix;
}

export interface RuleContext {
  readonly text: string;
  readonly file: string;
  report(r: RuleReport): void;
}

export interface Rule<Unit> {
  readonly meta: RuleMeta;
  check(unit: Unit, ctx: RuleContext): void;
}

export interface CommentSpan extends Span {
  /** The comment's text without its delimiters. */
  readonly body: string;
}

export interface ParseSuccess<Unit> {
  readonly ok: true;
  readonly unit: Unit;
  /** Top-level statements in source order: `greenlight-ignore` applies to the next one. */
  readonly statements: readonly Span[];
  readonly comments: readonly CommentSpan[];
  /**
   * Code in another language embedded in this file (SQL inside Django's RunSQL). `map` turns an
   * offset in `text` into an offset in the host file.
   */
  readonly embedded?: readonly { readonly language: LanguageId; readonly text: string; map(offset: number): number }[];
}

export interface ParseFailure extends Span {
  readonly ok: false;
  readonly message: string;
}

export type ParseResult<Unit> = ParseSuccess<Unit> | ParseFailure;

export interface Language<Unit> {
  readonly id: LanguageId;
  /** Line comment prefix used in suppression comments: "--", "#", "//". */
  readonly lineComment: string;
  /** Whether this language handles the file (by path and, if needed, content). */
  matches(file: string, text: string): boolean;
  parse(text: string, file: string): Promise<ParseResult<Unit>>;
  readonly rules: readonly Rule<Unit>[];
}

export interface Position {
  /** 1-based. */
  readonly line: number;
  /** 1-based, in UTF-16 code units. */
  readonly column: number;
}

export interface Finding extends Span {
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  readonly help: string;
  readonly startPos: Position;
  readonly endPos: Position;
  readonly fix?: Fix;
  readonly tags: readonly string[];
}

export interface LintOptions {
  /** Codes switched off. */
  readonly disabled?: readonly string[];
  /** Severity overrides by code. */
  readonly severity?: Readonly<Record<string, Severity>>;
}

export interface LintResult {
  readonly file: string;
  readonly language: LanguageId | undefined;
  readonly findings: readonly Finding[];
}

/** The code of the diagnostic for unparseable input. */
export const PARSE_ERROR_CODE = 'parse-error';
