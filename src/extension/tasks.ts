// The "greenlight" task type: build, test, lint and verify as VS Code tasks that run the CLI
// bundled with the extension (dist/cli.js), so a user needs no global install, and whose output
// the problem matchers of package.json turn into Problems entries (lint findings, migration
// failures, project-file errors).
import * as vscode from 'vscode';

export const TASK_TYPE = 'greenlight';

/** The tasks offered, the CLI verb each runs, and the problem matchers that read its output. */
export const GREENLIGHT_TASKS = {
  build: { args: ['build'], matchers: ['$greenlight-config'], group: vscode.TaskGroup.Build },
  test: { args: ['test'], matchers: ['$greenlight-config'], group: vscode.TaskGroup.Test },
  lint: { args: ['lint'], matchers: ['$greenlight-lint', '$greenlight-config'], group: undefined },
  verify: { args: ['migrate', 'verify'], matchers: ['$greenlight-verify', '$greenlight-config'], group: vscode.TaskGroup.Test },
} as const;

export type GreenlightTaskName = keyof typeof GREENLIGHT_TASKS;

/** What tasks.json holds for a Greenlight task (package.json taskDefinitions declares it). */
export interface GreenlightTaskDefinition extends vscode.TaskDefinition {
  readonly type: typeof TASK_TYPE;
  readonly task: GreenlightTaskName;
  /** Extra arguments after the verb, e.g. paths to lint or `--rerun`. */
  readonly args?: readonly string[];
}

function isGreenlightTask(name: unknown): name is GreenlightTaskName {
  return typeof name === 'string' && Object.hasOwn(GREENLIGHT_TASKS, name);
}

export class GreenlightTaskProvider implements vscode.TaskProvider {
  /** `cliPath`: the bundled CLI; `nodePath`: a Node runtime (the extension host's own). */
  constructor(
    private readonly cliPath: string,
    private readonly nodePath: string = process.execPath,
  ) {}

  provideTasks(): vscode.Task[] {
    const folders = vscode.workspace.workspaceFolders ?? [];
    return folders.flatMap((folder) => (Object.keys(GREENLIGHT_TASKS) as GreenlightTaskName[]).map((name) => this.task({ type: TASK_TYPE, task: name }, folder)));
  }

  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const def = task.definition as Partial<GreenlightTaskDefinition>;
    if (!isGreenlightTask(def.task)) return undefined;
    const folder = typeof task.scope === 'object' ? task.scope : vscode.workspace.workspaceFolders?.[0];
    if (!folder) return undefined;
    // The definition must be the same object VS Code passed in, or it will not match tasks.json.
    return this.task(task.definition as GreenlightTaskDefinition, folder);
  }

  private task(def: GreenlightTaskDefinition, folder: vscode.WorkspaceFolder): vscode.Task {
    const spec = GREENLIGHT_TASKS[def.task];
    // ELECTRON_RUN_AS_NODE: in desktop VS Code the host's executable is Electron, which runs as
    // plain Node with it. NO_COLOR: the matchers read plain text.
    const execution = new vscode.ProcessExecution(this.nodePath, [this.cliPath, ...spec.args, ...(def.args ?? [])], {
      cwd: folder.uri.fsPath,
      env: { ELECTRON_RUN_AS_NODE: '1', NO_COLOR: '1' },
    });
    const task = new vscode.Task(def, folder, def.task, TASK_TYPE, execution, [...spec.matchers]);
    task.detail = `greenlight ${[...spec.args, ...(def.args ?? [])].join(' ')}`;
    if (spec.group) task.group = spec.group;
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, clear: true };
    return task;
  }
}
