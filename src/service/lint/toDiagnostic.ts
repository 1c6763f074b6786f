// One finding → one LSP diagnostic. Positions: the engine's are 1-based, LSP's 0-based; both count
// UTF-16 code units, so only the base changes. The rule code links to its docs page.
import { DiagnosticSeverity, type Diagnostic, type Range } from 'vscode-languageserver/node';
import type { Finding, Position, Severity } from '../../core/lint/types';

/** What the service keeps on each diagnostic: the rule's tags (quick fixes come from the findings themselves). */
export interface LintDiagnosticData {
  readonly tags: readonly string[];
}

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
};

export function toLspPosition(p: Position): { line: number; character: number } {
  return { line: p.line - 1, character: p.column - 1 };
}

/**
 * docsHref answers by function and code: it turns a path into a file URL, which adds up over the
 * hundreds of diagnostics a large migration republishes on every edit.
 */
const hrefs = new WeakMap<(code: string) => string | undefined, Map<string, string | undefined>>();

function hrefOf(docsHref: (code: string) => string | undefined, code: string): string | undefined {
  let known = hrefs.get(docsHref);
  if (!known) hrefs.set(docsHref, (known = new Map()));
  if (!known.has(code)) known.set(code, docsHref(code));
  return known.get(code);
}

export function toDiagnostic(f: Finding, docsHref: (code: string) => string | undefined): Diagnostic {
  const range: Range = { start: toLspPosition(f.startPos), end: toLspPosition(f.endPos) };
  const href = hrefOf(docsHref, f.code);
  const data: LintDiagnosticData = { tags: f.tags };
  return {
    range,
    severity: SEVERITY[f.severity],
    source: 'greenlight',
    code: f.code,
    ...(href ? { codeDescription: { href } } : {}),
    message: f.help ? `${f.message}\n${f.help}` : f.message,
    data,
  };
}
