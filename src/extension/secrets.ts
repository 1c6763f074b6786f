// Database passwords of environments, kept in VS Code's SecretStorage (the OS keychain where there
// is one), one entry per project and environment; never in settings, files or logs. Asked for once
// with a password input box; an empty answer is remembered too and means "this database takes no
// password". A refused password can be forgotten and asked again.
import type * as vscode from 'vscode';
import type { Prompts } from './commands/deploy/prompts';

export class EnvironmentSecrets {
  constructor(
    private readonly storage: vscode.SecretStorage,
    private readonly prompts: Prompts,
  ) {}

  static key(project: string, env: string): string {
    return `greenlight.dbPassword/${project}/${env}`;
  }

  async stored(project: string, env: string): Promise<string | undefined> {
    return await this.storage.get(EnvironmentSecrets.key(project, env));
  }

  /** The stored password, or asks for it once. Undefined when the user cancelled the prompt. */
  async dbPassword(project: string, env: string, database: string): Promise<string | undefined> {
    const have = await this.stored(project, env);
    if (have !== undefined) return have;
    const typed = await this.prompts.showInputBox({
      title: `Database password for ${env}`,
      prompt: `Password of ${database} on ${env}. Greenlight keeps it in VS Code's secret storage (never in settings) and asks only once.`,
      placeHolder: 'leave empty if the database needs no password',
      password: true,
      ignoreFocusOut: true,
    });
    if (typed === undefined) return undefined;
    await this.storage.store(EnvironmentSecrets.key(project, env), typed);
    return typed;
  }

  /** Stores (or replaces) the password, as typed into "Set Database Password…". */
  async store(project: string, env: string, password: string): Promise<void> {
    await this.storage.store(EnvironmentSecrets.key(project, env), password);
  }

  async forget(project: string, env: string): Promise<void> {
    await this.storage.delete(EnvironmentSecrets.key(project, env));
  }
}
