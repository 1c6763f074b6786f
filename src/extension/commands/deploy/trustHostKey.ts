// "Greenlight: Trust Host Key…": shows the SHA256 fingerprint the environment's host offers and
// pins it in greenlight.yaml only on an explicit "Trust This Key" (see offerTrust in common.ts).
import * as vscode from 'vscode';
import type { Services } from '../../services';
import { offerTrust, pickEnvironment, refreshEnvironment } from './common';

export function trustHostKey(s: Services) {
  return async (arg?: unknown): Promise<boolean> => {
    const env = await pickEnvironment(s, arg, vscode.l10n.t('Trust Host Key: environment'));
    if (!env) return false;
    const ok = await offerTrust(s, env.name);
    refreshEnvironment(s, env.name);
    return ok;
  };
}
