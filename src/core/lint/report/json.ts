// The machine-readable report: stable field names, 1-based lines and columns (end exclusive), and
// the character offsets too, so tools can apply fixes without recomputing positions.
import { countFindings, type LintReport } from './model';
import { displayPath } from './text';

export const JSON_REPORT_VERSION = 1;

export interface JsonFinding {
  readonly code: string;
  readonly severity: string;
  readonly message: string;
  readonly help: string;
  readonly tags: readonly string[];
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
  readonly offset: number;
  readonly endOffset: number;
  readonly docs: string;
  readonly fix?: { readonly title: string; readonly edits: readonly { offset: number; endOffset: number; newText: string }[] };
}

export interface JsonReport {
  readonly version: number;
  readonly tool: { readonly name: 'greenlight'; readonly version: string };
  readonly summary: { readonly files: number; readonly errors: number; readonly warnings: number; readonly infos: number };
  readonly files: readonly { readonly path: string; readonly language: string | null; readonly findings: readonly JsonFinding[] }[];
}

export function buildJsonReport(report: LintReport): JsonReport {
  const c = countFindings(report.results);
  return {
    version: JSON_REPORT_VERSION,
    tool: { name: 'greenlight', version: report.toolVersion },
    summary: { files: c.files, errors: c.error, warnings: c.warning, infos: c.info },
    files: report.results.map((r) => ({
      path: displayPath(r.file, report.cwd),
      language: r.language ?? null,
      findings: r.findings.map((f) => ({
        code: f.code,
        severity: f.severity,
        message: f.message,
        help: f.help,
        tags: [...f.tags],
        line: f.startPos.line,
        column: f.startPos.column,
        endLine: f.endPos.line,
        endColumn: f.endPos.column,
        offset: f.start,
        endOffset: f.end,
        docs: report.docsUri(f.code),
        ...(f.fix ? { fix: { title: f.fix.title, edits: f.fix.edits.map((e) => ({ offset: e.start, endOffset: e.end, newText: e.newText })) } } : {}),
      })),
    })),
  };
}

export function formatJson(report: LintReport): string {
  return JSON.stringify(buildJsonReport(report), null, 2);
}
