// The messages between the migration panel (src/extension/panels/migrationPanel.ts) and its
// webview script (media/src/migrationPanel.ts). Both import this file, so a renamed field breaks
// the build instead of the panel. No `vscode` import: the webview bundle includes this file.
// Messages from the webview are checked by parseWebviewMessage before anything acts on them.
import type { MigrationDriftDto, MigrationDryRunDto, MigrationEntryDto, MigrationProblemDto, MigrationTargetDto, MigrationVerifyDto } from '../../service/protocol';

export type FindingSeverity = 'error' | 'warning' | 'info';

/** A lint finding of the Greenlight language server on a migration file. */
export interface PanelFinding {
  readonly code: string;
  readonly severity: FindingSeverity;
  /** 1-based. */
  readonly line: number;
  readonly message: string;
}

/** What the last verify said about one file. */
export interface PanelVerdict {
  readonly status: MigrationVerifyDto['migrations'][number]['status'];
  readonly problem?: MigrationProblemDto;
  readonly finishedAt: string;
}

export interface PanelMigration {
  readonly fileName: string;
  readonly path: string;
  readonly noTransaction: boolean;
  /** Files the ledger of some target lists but the directory no longer has. */
  readonly missingOnDisk: boolean;
  readonly findings: readonly PanelFinding[];
  readonly verdict?: PanelVerdict;
}

export interface PanelTarget {
  readonly id: string;
  readonly label: string;
  readonly kind: MigrationTargetDto['kind'];
  readonly database: string;
  readonly reachable: boolean;
  readonly problem?: string;
  /** Why it is not reachable, in the words the views use ("SSH not configured", "Host key not trusted", …). */
  readonly problemLabel?: string;
  /** The fix the panel offers as a button next to the problem. */
  readonly fix?: { readonly kind: PanelFixKind; readonly title: string };
  readonly ledgerExists: boolean;
  readonly counts: Readonly<Record<MigrationEntryDto['state'], number>>;
  /** By file name. */
  readonly entries: Readonly<Record<string, MigrationEntryDto>>;
  readonly lastDryRun?: MigrationDryRunDto;
  readonly lastDrift?: MigrationDriftDto;
}

export type PanelActivity = { readonly kind: 'status' | 'verify' | 'dryRun' | 'drift'; readonly label: string };

/** Everything the webview renders; the extension sends the whole of it on every change. */
export interface PanelState {
  readonly dir?: string;
  readonly databaseKind?: 'postgres' | 'arangodb';
  /** A project-level problem (no migrations directory, broken greenlight.yaml). */
  readonly problem?: string;
  readonly migrations: readonly PanelMigration[];
  readonly targets: readonly PanelTarget[];
  readonly checkedAt?: string;
  /** Running jobs the panel started or is waiting for. */
  readonly activity: readonly PanelActivity[];
  readonly lastVerify?: {
    readonly ok: boolean;
    readonly through?: string;
    readonly finishedAt: string;
    readonly summary: string;
    readonly checks: MigrationVerifyDto['checks'];
  };
  /** Verify and dry run execute SQL from the workspace, so they need a trusted workspace. */
  readonly trusted: boolean;
}

export type PanelFixKind = 'not-configured' | 'host-key' | 'auth' | 'restricted';

/** Extension → webview. */
export type ToWebview = { readonly type: 'state'; readonly state: PanelState };

/** Webview → extension. */
export type FromWebview =
  | { readonly type: 'ready' }
  | { readonly type: 'refresh' }
  | { readonly type: 'verify'; readonly fileName?: string }
  | { readonly type: 'dryRun'; readonly target: string }
  | { readonly type: 'drift'; readonly target: string }
  | { readonly type: 'openFile'; readonly fileName: string; readonly line?: number }
  | { readonly type: 'showVerifyReport' }
  | { readonly type: 'fix'; readonly target: string; readonly kind: PanelFixKind };

const FILE_NAME = /^[^/\\]{1,255}$/;
const FIX_KINDS = new Set<PanelFixKind>(['not-configured', 'host-key', 'auth', 'restricted']);
const TARGET = /^(local|env:[a-z0-9][a-z0-9_.-]*)$/;

/**
 * The webview runs untrusted content in principle (a migration's text is shown there), so every
 * message is checked field by field; anything else is dropped.
 */
export function parseWebviewMessage(raw: unknown): FromWebview | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  switch (m.type) {
    case 'ready':
    case 'refresh':
    case 'showVerifyReport':
      return { type: m.type };
    case 'verify':
      if (m.fileName === undefined) return { type: 'verify' };
      return typeof m.fileName === 'string' && FILE_NAME.test(m.fileName) ? { type: 'verify', fileName: m.fileName } : undefined;
    case 'dryRun':
      return typeof m.target === 'string' && TARGET.test(m.target) ? { type: 'dryRun', target: m.target } : undefined;
    case 'drift':
      return typeof m.target === 'string' && TARGET.test(m.target) ? { type: 'drift', target: m.target } : undefined;
    case 'fix':
      return typeof m.target === 'string' && TARGET.test(m.target) && typeof m.kind === 'string' && FIX_KINDS.has(m.kind as PanelFixKind)
        ? { type: 'fix', target: m.target, kind: m.kind as PanelFixKind }
        : undefined;
    case 'openFile': {
      if (typeof m.fileName !== 'string' || !FILE_NAME.test(m.fileName)) return undefined;
      if (m.line === undefined) return { type: 'openFile', fileName: m.fileName };
      return typeof m.line === 'number' && Number.isInteger(m.line) && m.line >= 1 ? { type: 'openFile', fileName: m.fileName, line: m.line } : undefined;
    }
    default:
      return undefined;
  }
}

/** The counts of each state, for a target's summary line. */
export function countStates(entries: readonly MigrationEntryDto[]): Record<MigrationEntryDto['state'], number> {
  const c: Record<MigrationEntryDto['state'], number> = { applied: 0, pending: 0, 'checksum-changed': 0, failed: 0, missing: 0 };
  for (const e of entries) c[e.state]++;
  return c;
}

/** "3 applied, 1 pending, 1 checksum changed": zero counts are left out. */
export function summarizeCounts(c: Readonly<Record<MigrationEntryDto['state'], number>>): string {
  const parts = [
    `${c.applied} applied`,
    `${c.pending} pending`,
    c['checksum-changed'] ? `${c['checksum-changed']} checksum changed` : '',
    c.failed ? `${c.failed} failed` : '',
    c.missing ? `${c.missing} missing` : '',
  ];
  return parts.filter(Boolean).join(', ');
}
