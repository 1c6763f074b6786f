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

export class Linter {
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
    const findings: Finding[] = [];
    await this.lintWith(language, text, file, options, index, (o) => o, findings);
    findings.sort((a, b) => a.start - b.start || a.code.localeCompare(b.code));
    return { file, language: language.id, findings };
  }

  private async lintWith(
    language: AnyLanguage,
    text: string,
    file: string,
    options: LintOptions,
    hostIndex: LineIndex,
    map: (offset: number) => number,
    out: Finding[],
  ): Promise<void> {
    let parsed;
    try {
      parsed = await language.parse(text, file);
    } catch (e) {
      parsed = { ok: false as const, start: 0, end: Math.min(text.length, 1), message: `the ${language.id} parser failed: ${e instanceof Error ? e.message : String(e)}` };
    }
    const severityOf = (code: string, fallback: Severity): Severity => options.severity?.[code] ?? fallback;
    const disabled = new Set(options.disabled ?? []);
    const push = (code: string, severity: Severity, help: string, tags: readonly string[], r: RuleReport): void => {
      const start = map(r.start);
      const end = Math.max(start, map(r.end));
      out.push({
        code,
        severity,
        message: r.message,
        help,
        tags,
        start,
        end,
        startPos: hostIndex.position(start),
        endPos: hostIndex.position(end),
        fix: r.fix ? { title: r.fix.title, edits: r.fix.edits.map((e) => ({ start: map(e.start), end: map(e.end), newText: e.newText })) } : undefined,
      });
    };
    if (!parsed.ok) {
      if (!disabled.has(PARSE_ERROR_CODE)) {
        push(PARSE_ERROR_CODE, severityOf(PARSE_ERROR_CODE, 'error'), 'Fix the syntax so the file can be checked.', [], parsed);
      }
      return;
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
    for (const emb of parsed.embedded ?? []) {
      const inner = this.languageById(emb.language);
      if (!inner) continue;
      const innerOut: Finding[] = [];
      await this.lintWith(inner, emb.text, file, options, hostIndex, (o) => map(emb.map(o)), innerOut);
      // Suppression comments of the host file apply to embedded findings too.
      for (const f of innerOut) if (!suppressions.isSuppressed(f.code, f.start)) out.push(f);
    }
  }
}
