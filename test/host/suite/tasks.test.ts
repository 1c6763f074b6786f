// The "greenlight" task type in the real VS Code: the provider lists build, test, lint and verify,
// and running the lint task on a workspace with a bad migration puts its findings in the Problems
// panel through the $greenlight-lint problem matcher (source "greenlight lint", apart from the
// language server's own "greenlight" diagnostics).
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activeApi, waitFor, workspaceRoot } from './helpers';

const BAD = 'migrations/900_tasks_bad.sql';

suite('(host) tasks: build, test, lint and verify with problem matchers', () => {
  suiteSetup(async function () {
    this.timeout(120_000);
    await activeApi();
  });

  suiteTeardown(async () => {
    await vscode.workspace.fs.delete(vscode.Uri.joinPath(workspaceRoot(), ...BAD.split('/')), { useTrash: false }).then(undefined, () => undefined);
  });

  test('the provider lists the four tasks, each running the bundled CLI with its problem matchers', async () => {
    const tasks = await vscode.tasks.fetchTasks({ type: 'greenlight' });
    assert.deepEqual(tasks.map((t) => t.name).sort(), ['build', 'lint', 'test', 'verify']);
    const byName = new Map(tasks.map((t) => [t.name, t]));
    assert.deepEqual(byName.get('lint')!.problemMatchers, ['$greenlight-lint', '$greenlight-config']);
    assert.deepEqual(byName.get('verify')!.problemMatchers, ['$greenlight-verify', '$greenlight-config']);
    const exec = byName.get('verify')!.execution as vscode.ProcessExecution;
    assert.ok(exec instanceof vscode.ProcessExecution, 'a process execution (no shell line)');
    assert.deepEqual(exec.args.slice(1), ['migrate', 'verify']);
    assert.match(exec.args[0]!, /dist[\\/]cli\.js$/);
    assert.equal(byName.get('build')!.group?.id, vscode.TaskGroup.Build.id);
  });

  test('running the lint task on a bad migration produces Problems entries from its output', async function () {
    this.timeout(120_000);
    const repo = process.env.GREENLIGHT_HOST_REPO;
    assert.ok(repo, 'GREENLIGHT_HOST_REPO is not set: run through test/host/run.mjs');
    const bad = vscode.Uri.joinPath(workspaceRoot(), ...BAD.split('/'));
    await vscode.workspace.fs.copy(vscode.Uri.file(path.join(repo, 'test/host/workspaces/lint/001_create_invoices.sql')), bad, { overwrite: true });
    const lint = (await vscode.tasks.fetchTasks({ type: 'greenlight' })).find((t) => t.name === 'lint')!;
    const ended = new Promise<number | undefined>((resolve) => {
      const sub = vscode.tasks.onDidEndTaskProcess((e) => {
        if (e.execution.task.name === 'lint' && e.execution.task.definition.type === 'greenlight') {
          sub.dispose();
          resolve(e.exitCode);
        }
      });
    });
    await vscode.tasks.executeTask(lint);
    const exitCode = await ended;
    assert.notEqual(exitCode, 0, 'greenlight lint exits non-zero on findings');
    const fromTask = await waitFor(
      'Problems entries from the lint task',
      () => {
        const ds = vscode.languages.getDiagnostics(bad).filter((d) => d.source === 'greenlight lint');
        return ds.length >= 3 ? ds : undefined;
      },
      30_000,
    );
    const rows = fromTask.map((d) => [typeof d.code === 'object' ? d.code.value : d.code, d.severity, d.range.start.line, d.range.start.character]);
    assert.deepEqual(rows.find((r) => r[0] === 'sql-create-table-if-not-exists'), ['sql-create-table-if-not-exists', vscode.DiagnosticSeverity.Error, 3, 0]);
    assert.deepEqual(rows.find((r) => r[0] === 'sql-create-index-if-not-exists'), ['sql-create-index-if-not-exists', vscode.DiagnosticSeverity.Error, 10, 2]);
  });
});
