// Small helpers shared by the extension-host suites (bundled into each suite by run.mjs).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { GreenlightApi } from '../../../src/extension/main';

export const EXTENSION_ID = 'greenlight-dev.greenlight';

/** Polls `probe` until it returns a value other than undefined/false, or fails with `what`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last instanceof Error ? last.message : String(last)})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function greenlight(): vscode.Extension<GreenlightApi> {
  const ext = vscode.extensions.getExtension<GreenlightApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not installed in this VS Code`);
  return ext;
}

/** The activated extension's API; fails the test if activation fails or exports nothing. */
export async function activeApi(): Promise<GreenlightApi> {
  const api = await greenlight().activate();
  assert.ok(api?.services, 'activate() did not return { services }');
  return api;
}

export function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test run opened no workspace folder');
  return folder.uri;
}

/** Diagnostics Greenlight published for `uri`. */
export function greenlightDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'greenlight');
}
