// Every question the deploy and backup commands ask goes through this object, which lives in
// Services. activate() fills it with the real vscode.window functions; the extension-host tests
// replace single functions on it to answer quick picks, input boxes and modal dialogs, so the
// interactive path runs exactly as a person would drive it, without any global stubbing.
import * as vscode from 'vscode';

export interface Prompts {
  showQuickPick<T extends vscode.QuickPickItem>(items: readonly T[], options: vscode.QuickPickOptions): Thenable<T | undefined>;
  showInputBox(options: vscode.InputBoxOptions): Thenable<string | undefined>;
  /** A modal dialog: resolves to the chosen action, undefined when dismissed (Cancel). */
  modal(message: string, detail: string, ...actions: string[]): Thenable<string | undefined>;
  showInformationMessage(message: string, ...actions: string[]): Thenable<string | undefined>;
  showWarningMessage(message: string, ...actions: string[]): Thenable<string | undefined>;
  showErrorMessage(message: string, ...actions: string[]): Thenable<string | undefined>;
  showSaveDialog(options: vscode.SaveDialogOptions): Thenable<vscode.Uri | undefined>;
  showOpenDialog(options: vscode.OpenDialogOptions): Thenable<vscode.Uri[] | undefined>;
  /** Opens a URL outside the editor (the browser); tests replace it to fetch the URL themselves. */
  openExternal(uri: vscode.Uri): Thenable<boolean>;
  /** A cancellable progress notification around a task. */
  withProgress<R>(options: vscode.ProgressOptions, task: (progress: vscode.Progress<{ message?: string; increment?: number }>, token: vscode.CancellationToken) => Thenable<R>): Thenable<R>;
}

export function windowPrompts(): Prompts {
  return {
    showQuickPick: (items, options) => vscode.window.showQuickPick(items, options),
    showInputBox: (options) => vscode.window.showInputBox(options),
    modal: (message, detail, ...actions) => vscode.window.showWarningMessage(message, { modal: true, detail }, ...actions),
    showInformationMessage: (message, ...actions) => vscode.window.showInformationMessage(message, ...actions),
    showWarningMessage: (message, ...actions) => vscode.window.showWarningMessage(message, ...actions),
    showErrorMessage: (message, ...actions) => vscode.window.showErrorMessage(message, ...actions),
    showSaveDialog: (options) => vscode.window.showSaveDialog(options),
    showOpenDialog: (options) => vscode.window.showOpenDialog(options),
    openExternal: (uri) => vscode.env.openExternal(uri),
    withProgress: (options, task) => vscode.window.withProgress(options, task),
  };
}
