// Writes a small edit computed by the service (a pinned host key, an identity file) into
// greenlight.yaml. The project file is what the CLI and every teammate read, so the editor
// changes it visibly rather than keeping its own copy of such settings.
import * as vscode from 'vscode';
import type { Services } from './services';

type TextEdits = { edits: readonly { offset: number; length: number; newText: string }[] };

/** Applies the edits `compute` returns for the file's current text; the file's Uri, or undefined after an error (already shown). */
export async function editProjectFile(s: Services, root: string, what: string, compute: (text: string, file: string) => Promise<TextEdits>): Promise<vscode.Uri | undefined> {
  const uri = vscode.Uri.file(s.project.summary?.file ?? `${root}/greenlight.yaml`);
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === uri.fsPath);
  try {
    if (doc?.isDirty) {
      // Unsaved edits in the editor are the user's latest intent: edit them, then save.
      const { edits } = await compute(doc.getText(), uri.fsPath);
      const we = new vscode.WorkspaceEdit();
      for (const e of edits) we.replace(uri, new vscode.Range(doc.positionAt(e.offset), doc.positionAt(e.offset + e.length)), e.newText);
      if (!(await vscode.workspace.applyEdit(we)) || !(await doc.save())) throw new Error('the editor refused the edit');
    } else {
      // Otherwise edit what is on disk: an open but unmodified copy may not have caught up with a
      // change made outside the editor, and saving it would then fail as "the file is newer".
      const text = Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
      const { edits } = await compute(text, uri.fsPath);
      let next = text;
      for (const e of [...edits].sort((a, b) => b.offset - a.offset)) next = next.slice(0, e.offset) + e.newText + next.slice(e.offset + e.length);
      await vscode.workspace.fs.writeFile(uri, Buffer.from(next, 'utf8'));
    }
  } catch (e) {
    void s.prompts.showErrorMessage(vscode.l10n.t('Could not write {0} into {1}: {2}', what, uri.fsPath, e instanceof Error ? e.message : String(e)));
    return undefined;
  }
  return uri;
}
