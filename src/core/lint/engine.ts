// Lints one file: picks its language, parses, runs the language's rules (and the rules of any
// embedded language, with positions mapped back), applies suppressions, options and positions.
// It never throws for bad input: unparseable text is one parse-error finding at the right place.
import { LineIndex } from './positions';
import { collectSuppressions } from './suppressions';
import {
  PARSE_ERROR_CODE,
  type Finding,
  type Language,
  type LanguageId,
  type LintOptions,
  type LintResult,
  type RuleReport,
  type Severity,
} from './types';

export type AnyLanguage = Language<unknown>;

/**
 * A finding in the coordinates of the text it was found in (before mapping into a host file and
 * before line/column positions): what the engine keeps for embedded code between lints.
 */
interface RawFinding {
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  readonly help: string;
  readonly tags: readonly string[];
  readonly start: number;
  readonly end: number;
  readonly fix?: Finding['fix'];
}

/** Embedded pieces whose findings are kept (a Django migration has hundreds of RunSQL). */
const EMBEDDED_CACHE_LIMIT = 4096;

export class Linter {
  /**
   * Findings of embedded code by file, language, options and text. The same RunSQL string gives
   * the same findings wherever it sits in its file, so an edit elsewhere in a 2,000-line migration
   * re-checks only the host file and the pieces that changed.
   */
  readonly #embedded = new Map<string, readonly RawFinding[]>();

  constructor(private readonly languages: readonly AnyLanguage[]) {}

  languageFor(file: string, text: string): AnyLanguage | undefined {
    return this.languages.find((l) => l.matches(file, text));
  }

  languageById(id: LanguageId): AnyLanguage | undefined {
    return this.languages.find((l) => l.id === id);
  }

  /** Every rule of every language, for docs, SARIF and settings. */
  get rules(): readonly AnyLanguage['rules'][number][] {
    return this.languages.flatMap((l) => l.rules);
  }

  async lint(file: string, text: string, options: LintOptions = {}): Promise<LintResult> {
    const language = this.languageFor(file, text);
    if (!language) return { file, language: undefined, findings: [] };
    const index = new LineIndex(text);
    const raw = await this.#collect(language, text, file, options);
    const findings: Finding[] = raw.map((f) => ({ ...f, startPos: index.position(f.start), endPos: index.position(f.end) }));
    findings.sort((a, b) => a.start - b.start || a.code.localeCompare(b.code));
    return { file, language: language.id, findings };
  }

  /** The findings of `text` in its own coordinates, embedded code included (mapped into them). */
  async #collect(language: AnyLanguage, text: string, file: string, options: LintOptions): Promise<RawFinding[]> {
    const out: RawFinding[] = [];
    let parsed;
    try {
      parsed = await language.parse(text, file);
    } catch (e) {
      parsed = { ok: false as const, start: 0, end: Math.min(text.length, 1), message: `the ${language.id} parser failed: ${e instanceof Error ? e.message : String(e)}` };
    }
    const severityOf = (code: string, fallback: Severity): Severity => options.severity?.[code] ?? fallback;
    const disabled = new Set(options.disabled ?? []);
    const push = (code: string, severity: Severity, help: string, tags: readonly string[], r: RuleReport): void => {
      out.push({ code, severity, message: r.message, help, tags, start: r.start, end: Math.max(r.start, r.end), fix: r.fix ? { title: r.fix.title, edits: r.fix.edits } : undefined });
    };
    if (!parsed.ok) {
      if (!disabled.has(PARSE_ERROR_CODE)) {
        push(PARSE_ERROR_CODE, severityOf(PARSE_ERROR_CODE, 'error'), 'Fix the syntax so the file can be checked.', [], parsed);
      }
      return out;
    }
    const suppressions = collectSuppressions(parsed.comments, parsed.statements);
    for (const rule of language.rules) {
      const { code } = rule.meta;
      if (disabled.has(code)) continue;
      const severity = severityOf(code, rule.meta.defaultSeverity);
      try {
        rule.check(parsed.unit, {
          text,
          file,
          report: (r) => {
            if (!suppressions.isSuppressed(code, r.start)) push(code, severity, rule.meta.help, rule.meta.tags, r);
          },
        });
      } catch (e) {
        // A rule bug must not hide the other rules' findings; it shows up as its own finding.
        push('internal-error', 'error', 'Report this as a Greenlight bug.', [], { start: 0, end: 0, message: `rule ${code} failed: ${e instanceof Error ? e.message : String(e)}` });
      }
    }
    const optionsKey = parsed.embedded?.length ? JSON.stringify([options.disabled ?? [], options.severity ?? {}]) : '';
    for (const emb of parsed.embedded ?? []) {
      const inner = this.languageById(emb.language);
      if (!inner) continue;
      const key = `${file}\u0000${emb.language}\u0000${optionsKey}\u0000${emb.text}`;
      let found = this.#embedded.get(key);
      if (!found) {
        found = await this.#collect(inner, emb.text, file, options);
        if (this.#embedded.size >= EMBEDDED_CACHE_LIMIT) this.#embedded.clear();
        this.#embedded.set(key, found);
      }
      for (const f of found) {
        const start = emb.map(f.start);
        // Suppression comments of the host file apply to embedded findings too.
        if (suppressions.isSuppressed(f.code, start)) continue;
        out.push({
          ...f,
          start,
          end: Math.max(start, emb.map(f.end)),
          fix: f.fix ? { title: f.fix.title, edits: f.fix.edits.map((e) => ({ start: emb.map(e.start), end: emb.map(e.end), newText: e.newText })) } : undefined,
        });
      }
    }
    return out;
  }
}
