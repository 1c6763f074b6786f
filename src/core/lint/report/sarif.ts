// SARIF 2.1.0 (the OASIS static-analysis format read by GitHub code scanning, Azure DevOps and
// the SARIF viewer): one run; every rule that can report is a reportingDescriptor with its tags
// and docs link, so a consumer can show rule help even for rules that found nothing.
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Severity } from '../types';
import { reportRules, type LintReport } from './model';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
const SRCROOT = '%SRCROOT%';

export type SarifLevel = 'error' | 'warning' | 'note';

export function sarifLevel(s: Severity): SarifLevel {
  return s === 'info' ? 'note' : s;
}

export interface SarifRegion {
  readonly startLine: number;
  readonly startColumn: number;
  readonly endLine: number;
  readonly endColumn: number;
  readonly charOffset: number;
  readonly charLength: number;
}

export interface SarifLog {
  readonly $schema: string;
  readonly version: '2.1.0';
  readonly runs: readonly {
    readonly tool: {
      readonly driver: {
        readonly name: string;
        readonly version: string;
        readonly rules: readonly {
          readonly id: string;
          readonly name: string;
          readonly shortDescription: { readonly text: string };
          readonly help: { readonly text: string };
          readonly helpUri: string;
          readonly defaultConfiguration: { readonly level: SarifLevel };
          readonly properties: { readonly tags: readonly string[]; readonly fixable: boolean };
        }[];
      };
    };
    readonly originalUriBaseIds: Readonly<Record<string, { readonly uri: string }>>;
    readonly columnKind: 'utf16CodeUnits';
    readonly results: readonly {
      readonly ruleId: string;
      readonly ruleIndex: number;
      readonly level: SarifLevel;
      readonly message: { readonly text: string };
      readonly locations: readonly {
        readonly physicalLocation: {
          readonly artifactLocation: { readonly uri: string; readonly uriBaseId?: string };
          readonly region: SarifRegion;
        };
      }[];
      readonly fixes?: readonly unknown[];
    }[];
  }[];
}

/** "migrations/a b.sql" → "migrations/a%20b.sql": a relative URI reference against %SRCROOT%. */
function relativeUri(file: string, cwd: string): { uri: string; uriBaseId?: string } {
  const rel = path.relative(cwd, file);
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return { uri: pathToFileURL(file).toString() };
  return { uri: rel.split(path.sep).map(encodeURIComponent).join('/'), uriBaseId: SRCROOT };
}

function camel(code: string): string {
  return code.replace(/(^|-)([a-z0-9])/g, (_m, _d: string, c: string) => c.toUpperCase());
}

export function buildSarif(report: LintReport): SarifLog {
  const rules = reportRules(report.rules);
  const index = new Map(rules.map((r, i) => [r.code, i]));
  const results = report.results.flatMap((r) => {
    const artifact = relativeUri(r.file, report.cwd);
    return r.findings.map((f) => {
      let ruleIndex = index.get(f.code);
      if (ruleIndex === undefined) {
        // A finding from a rule the caller did not list still needs a descriptor to point at.
        ruleIndex = rules.length;
        rules.push({ code: f.code, tags: f.tags, defaultSeverity: f.severity, description: f.message, help: f.help, fixable: Boolean(f.fix) });
        index.set(f.code, ruleIndex);
      }
      const region: SarifRegion = {
        startLine: f.startPos.line,
        startColumn: f.startPos.column,
        endLine: f.endPos.line,
        endColumn: f.endPos.column,
        charOffset: f.start,
        charLength: f.end - f.start,
      };
      return {
        ruleId: f.code,
        ruleIndex,
        level: sarifLevel(f.severity),
        message: { text: f.help ? `${f.message} ${f.help}` : f.message },
        locations: [{ physicalLocation: { artifactLocation: artifact, region } }],
        ...(f.fix
          ? {
              fixes: [
                {
                  description: { text: f.fix.title },
                  artifactChanges: [
                    {
                      artifactLocation: artifact,
                      replacements: f.fix.edits.map((e) => ({ deletedRegion: { charOffset: e.start, charLength: e.end - e.start }, insertedContent: { text: e.newText } })),
                    },
                  ],
                },
              ],
            }
          : {}),
      };
    });
  });
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'greenlight',
            version: report.toolVersion,
            rules: rules.map((r) => ({
              id: r.code,
              name: camel(r.code),
              shortDescription: { text: r.description },
              help: { text: r.help },
              helpUri: report.docsUri(r.code),
              defaultConfiguration: { level: sarifLevel(r.defaultSeverity) },
              properties: { tags: [...r.tags], fixable: r.fixable },
            })),
          },
        },
        originalUriBaseIds: { [SRCROOT]: { uri: pathToFileURL(report.cwd + path.sep).toString() } },
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
}

export function formatSarif(report: LintReport): string {
  return JSON.stringify(buildSarif(report), null, 2);
}
