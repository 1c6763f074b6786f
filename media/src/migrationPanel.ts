// The migration panel's webview: renders the PanelState the extension sends and sends back what
// the user clicked. It holds no state of its own beyond the last PanelState; everything it shows
// comes from the extension (src/extension/panels/migrationPanel.ts), which it greets with `ready`.
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-divider/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-table/index.js';
import '@vscode-elements/elements/dist/vscode-table-body/index.js';
import '@vscode-elements/elements/dist/vscode-table-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-header/index.js';
import '@vscode-elements/elements/dist/vscode-table-header-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-row/index.js';
import type { MigrationEntryDto } from '../../src/service/protocol';
import { summarizeCounts, type FromWebview, type PanelMigration, type PanelState, type PanelTarget, type ToWebview } from '../../src/extension/panels/migrationMessages';

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const app = document.getElementById('app')!;

type Child = Node | string | false | undefined | null;

/** A tiny element builder: text always goes in as text, never as HTML. */
function h(tag: string, attrs: Record<string, string | boolean | undefined> = {}, ...children: (Child | Child[])[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return el;
}

function on<T extends HTMLElement>(el: T, event: string, fn: (e: Event) => void): T {
  el.addEventListener(event, fn);
  return el;
}

function send(m: FromWebview): void {
  vscode.postMessage(m);
}

function button(label: string, message: FromWebview, opts: { secondary?: boolean; disabled?: boolean; title?: string; action?: string } = {}): HTMLElement {
  return on(h('vscode-button', { secondary: opts.secondary, disabled: opts.disabled, title: opts.title, 'data-action': opts.action }, label), 'click', () => {
    if (!opts.disabled) send(message);
  });
}

function fileLink(fileName: string, line?: number, label = fileName): HTMLElement {
  return on(h('a', { href: '#', class: 'file-link', title: line ? `Open ${fileName} at line ${line}` : `Open ${fileName}` }, label), 'click', (e) => {
    e.preventDefault();
    send({ type: 'openFile', fileName, line });
  });
}

const STATE_TEXT: Record<MigrationEntryDto['state'], string> = {
  applied: 'applied',
  pending: 'pending',
  'checksum-changed': 'checksum changed',
  failed: 'failed',
  missing: 'missing file',
};

function entryTitle(e: MigrationEntryDto): string {
  const lines: string[] = [];
  if (e.appliedAt) lines.push(`applied ${e.appliedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')} by ${e.appliedBy ?? 'unknown'}`);
  if (e.imageVersion) lines.push(`image ${e.imageVersion}`);
  if (e.baseline) lines.push('marked applied by baseline');
  if (e.state === 'checksum-changed') lines.push('the file was edited after it was applied');
  if (e.outOfOrder) lines.push('pending, but sorts before files already applied');
  if (e.failure) lines.push(`failed ${e.failure.at} by ${e.failure.by}: ${e.failure.error}${e.failure.partial ? ' (earlier statements stayed committed)' : ''}`);
  return lines.join('\n');
}

function stateCell(m: PanelMigration, t: PanelTarget): HTMLElement {
  if (!t.reachable) return h('span', { class: 'state state-unknown', title: t.problem ?? 'not reachable' }, '—');
  const e = t.entries[m.fileName];
  if (!e) return h('span', { class: 'state state-unknown' }, '—');
  return h(
    'span',
    { class: `state state-${e.state}`, 'data-target': t.id, 'data-file': m.fileName, 'data-state': e.state, title: entryTitle(e) || undefined },
    STATE_TEXT[e.state],
    e.outOfOrder ? ' (out of order)' : '',
  );
}

function lintCell(m: PanelMigration): HTMLElement {
  if (m.missingOnDisk) return h('span', { class: 'muted' }, '');
  if (m.findings.length === 0) return h('span', { class: 'muted', title: 'No lint findings' }, 'clean');
  return h(
    'div',
    { class: 'findings' },
    m.findings.map((f) =>
      on(h('vscode-badge', { class: `lint lint-${f.severity}`, title: `line ${f.line}: ${f.message}`, 'data-code': f.code }, f.code), 'click', () =>
        send({ type: 'openFile', fileName: m.fileName, line: f.line }),
      ),
    ),
  );
}

const VERDICT_TEXT = { ok: '✓ ran twice, same result', failed: '✗ failed', 'not-idempotent': '✗ not idempotent', 'not-run': 'not run', 'already-applied': 'already applied' } as const;

function verifyCell(m: PanelMigration, state: PanelState): HTMLElement {
  const v = m.verdict;
  const parts: Child[] = [];
  if (v) {
    parts.push(h('span', { class: `verdict verdict-${v.status}`, 'data-verdict': v.status, title: `verified ${v.finishedAt}` }, VERDICT_TEXT[v.status]));
    if (v.problem) {
      const loc = v.problem.location;
      parts.push(
        h(
          'div',
          { class: 'problem' },
          loc ? fileLink(m.fileName, loc.line, `line ${loc.line}:${loc.column}`) : undefined,
          loc ? ' ' : '',
          v.problem.message.split('\n')[0],
          v.problem.hint ? h('div', { class: 'hint' }, v.problem.hint) : undefined,
        ),
      );
    }
  }
  const busy = state.activity.some((a) => a.kind === 'verify');
  if (!m.missingOnDisk && state.databaseKind !== 'arangodb') {
    parts.push(
      h(
        'div',
        { class: 'row-actions' },
        button('Verify', { type: 'verify', fileName: m.fileName }, {
          secondary: true,
          disabled: !state.trusted || busy,
          title: state.trusted ? `Run the migrations through ${m.fileName} on a scratch database, each twice` : 'Trust the workspace to run migrations',
          action: `verify:${m.fileName}`,
        }),
      ),
    );
  }
  return h('div', { class: 'verify-cell' }, parts);
}

function targetCard(t: PanelTarget, state: PanelState): HTMLElement {
  const busy = state.activity.some((a) => a.kind === 'dryRun');
  const driftBusy = state.activity.some((a) => a.kind === 'drift');
  const canDryRun = t.reachable && state.trusted && state.databaseKind !== 'arangodb';
  const d = t.lastDryRun;
  const drift = t.lastDrift;
  return h(
    'div',
    { class: `target ${t.reachable ? '' : 'target-unreachable'}`, 'data-target': t.id },
    h('div', { class: 'target-head' }, h('span', { class: 'target-label' }, t.kind === 'local' ? t.label : `Environment ${t.label}`), h('span', { class: 'muted target-db', title: t.database }, t.database)),
    t.reachable
      ? h('div', { class: 'target-summary' }, t.ledgerExists ? summarizeCounts(t.counts) : `no ledger yet: ${summarizeCounts(t.counts)}`)
      : h(
          'div',
          { class: 'target-problem' },
          h('span', { class: 'state state-failed' }, t.problemLabel ?? 'unreachable'),
          ' ',
          t.problem ?? '',
          t.fix ? h('div', { class: 'target-fix' }, button(t.fix.title, { type: 'fix', target: t.id, kind: t.fix.kind }, { action: `fix:${t.id}` })) : undefined,
        ),
    d
      ? h(
          'div',
          { class: 'dry-run' },
          h('span', { class: `verdict ${d.ok ? 'verdict-ok' : 'verdict-failed'}` }, d.ok ? '✓ dry run passed' : '✗ dry run failed'),
          ` ${d.pending.length} pending${d.executed ? ', executed and rolled back' : ', plan only'}`,
          d.pending
            .filter((p) => p.problem)
            .map((p) => h('div', { class: 'problem' }, fileLink(p.fileName, p.problem?.location?.line, p.fileName), ': ', p.problem!.message.split('\n')[0])),
          d.checksumChanged.length ? h('div', { class: 'problem' }, `edited after being applied: ${d.checksumChanged.join(', ')}`) : undefined,
        )
      : undefined,
    drift
      ? h(
          'div',
          { class: 'drift' },
          h(
            'span',
            { class: `verdict ${drift.differences.length ? 'verdict-failed' : 'verdict-ok'}` },
            drift.differences.length ? `✗ drift: ${drift.differences.length} difference${drift.differences.length === 1 ? '' : 's'}` : '✓ no drift',
          ),
          ` against ${drift.comparedFiles} applied file${drift.comparedFiles === 1 ? '' : 's'}`,
          drift.note ? h('div', { class: 'muted' }, drift.note) : undefined,
          drift.differences.slice(0, 20).map((x) => h('div', { class: 'problem', title: x.detail ?? '' }, `${x.kind} ${x.object}`)),
          drift.differences.length > 20 ? h('div', { class: 'muted' }, `… ${drift.differences.length - 20} more in the output`) : undefined,
        )
      : undefined,
    h(
      'div',
      { class: 'target-actions' },
      button('Dry run', { type: 'dryRun', target: t.id }, {
        secondary: true,
        disabled: !canDryRun || busy,
        title: canDryRun ? 'Run the pending migrations inside a transaction that is rolled back' : t.reachable ? 'Trust the workspace to run migrations' : 'The database is not reachable',
        action: `dryRun:${t.id}`,
      }),
      button('Check drift', { type: 'drift', target: t.id }, {
        secondary: true,
        disabled: !canDryRun || driftBusy,
        title: canDryRun
          ? "Compare this database's schema with a fresh migrate of its applied files (the database is only read)"
          : t.reachable
            ? 'Trust the workspace to run migrations'
            : 'The database is not reachable',
        action: `drift:${t.id}`,
      }),
    ),
  );
}

function migrationsTable(state: PanelState): HTMLElement {
  const targets = state.targets;
  // State columns wide enough for "checksum changed"; the Verify column takes what is left.
  const stateWidth = Math.min(14, Math.floor(40 / Math.max(1, targets.length)));
  const columns = ['3%', '24%', '15%', ...targets.map(() => `${stateWidth}%`), `${58 - stateWidth * targets.length}%`];
  const header = h(
    'vscode-table-header',
    { slot: 'header' },
    h('vscode-table-header-cell', {}, '#'),
    h('vscode-table-header-cell', {}, 'Migration'),
    h('vscode-table-header-cell', {}, 'Lint'),
    targets.map((t) => h('vscode-table-header-cell', { title: t.database }, t.label)),
    h('vscode-table-header-cell', {}, 'Verify'),
  );
  const rows = state.migrations.map((m, i) =>
    h(
      'vscode-table-row',
      { 'data-file': m.fileName },
      h('vscode-table-cell', { class: 'muted' }, String(i + 1)),
      h(
        'vscode-table-cell',
        {},
        m.missingOnDisk ? h('span', { class: 'missing', title: 'In a ledger, but not in the migrations directory' }, m.fileName) : fileLink(m.fileName),
        m.noTransaction ? h('vscode-badge', { class: 'tag', title: '-- greenlight:no-transaction' }, 'no-transaction') : undefined,
      ),
      h('vscode-table-cell', {}, lintCell(m)),
      targets.map((t) => h('vscode-table-cell', {}, stateCell(m, t))),
      h('vscode-table-cell', {}, verifyCell(m, state)),
    ),
  );
  const table = h('vscode-table', { zebra: true, 'bordered-columns': true, resizable: true, 'min-column-width': '5%' }, header, h('vscode-table-body', { slot: 'body' }, rows));
  (table as unknown as { columns: string[] }).columns = columns;
  return table;
}

function render(state: PanelState): void {
  const verifying = state.activity.some((a) => a.kind === 'verify');
  const last = state.lastVerify;
  const canVerify = state.trusted && state.databaseKind !== 'arangodb' && state.migrations.length > 0;
  const view = h(
    'div',
    { class: 'panel' },
    h(
      'header',
      {},
      h('div', { class: 'title' }, h('h1', {}, 'Migrations'), state.dir ? h('span', { class: 'muted', title: state.dir }, state.dir) : undefined),
      h(
        'div',
        { class: 'toolbar' },
        button('Verify all', { type: 'verify' }, {
          disabled: !canVerify || verifying,
          title: 'Run every migration on a scratch database, each twice, and compare the results',
          action: 'verify',
        }),
        button('Show verify report', { type: 'showVerifyReport' }, { secondary: true, disabled: !last, action: 'showVerifyReport' }),
        button('Refresh', { type: 'refresh' }, { secondary: true, action: 'refresh' }),
      ),
    ),
    state.activity.length
      ? h('div', { class: 'activity' }, h('vscode-progress-ring', {}), state.activity.map((a) => h('span', {}, `${a.label}…`)))
      : state.checkedAt
        ? h('div', { class: 'activity muted' }, `Status read ${new Date(state.checkedAt).toLocaleTimeString()}`)
        : undefined,
    state.trusted ? undefined : h('div', { class: 'banner' }, 'This workspace is not trusted: the panel shows state, but verify and dry run (which execute the migrations) are off.'),
    state.problem ? h('div', { class: 'banner banner-error' }, state.problem) : undefined,
    last
      ? h(
          'div',
          { class: `last-verify ${last.ok ? 'ok' : 'failed'}`, 'data-verify-ok': String(last.ok) },
          h('span', { class: `verdict ${last.ok ? 'verdict-ok' : 'verdict-failed'}` }, last.ok ? '✓' : '✗'),
          ` ${last.summary}`,
          last.through ? h('span', { class: 'muted' }, ` — through ${last.through}`) : undefined,
          h('span', { class: 'muted' }, `, ${new Date(last.finishedAt).toLocaleTimeString()}`),
        )
      : undefined,
    state.targets.length ? h('section', { class: 'targets' }, state.targets.map((t) => targetCard(t, state))) : undefined,
    state.migrations.length
      ? migrationsTable(state)
      : state.problem || state.activity.length
        ? undefined
        : h('p', { class: 'muted' }, 'No migration files yet.'),
  );
  app.replaceChildren(view);
}

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
  const m = event.data;
  if (m?.type === 'state') {
    render(m.state);
    // Any state makes VS Code keep the panel across a window reload (the serializer revives it).
    vscode.setState({ shown: true });
  }
});

send({ type: 'ready' });
