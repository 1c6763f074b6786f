// Registers every command id declared in package.json with its handler factory. The extension-
// host test "every contributed command is registered" keeps this list and the manifest in step.
import * as vscode from 'vscode';
import type { Services } from '../services';
import { openConfig } from './openConfig';
import { refreshViews } from './refreshViews';
import { restartService } from './restartService';
import { showServiceHealth } from './showServiceHealth';

type Factory = (s: Services) => (...args: never[]) => unknown;

const COMMANDS: Record<string, Factory> = {
  'greenlight.service.showHealth': showServiceHealth,
  'greenlight.service.restart': restartService,
  'greenlight.config.open': openConfig,
  'greenlight.environments.refresh': refreshViews,
};

export function registerCommands(s: Services): vscode.Disposable[] {
  return Object.entries(COMMANDS).map(([id, factory]) => vscode.commands.registerCommand(id, factory(s)));
}
