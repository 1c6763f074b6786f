// Database passwords of environments, kept in VS Code's SecretStorage (the OS keychain where there
// is one), one entry per workspace folder, project and environment; never in settings, files or
// logs. The folder is part of the key because SecretStorage is shared by every window: two
// checkouts whose greenlight.yaml say the same `project:` (a fork, a template, "my-app") must not
// share, and so send, one database's password to the other's host. Asked for once
// with a password input box; an empty answer is remembered too and means "this database takes no
// password". A refused password can be forgotten and asked again. The values of services'
// secretEnv variables are kept the same way, one entry per project, environment and name: asked
// once when a deploy needs one that is missing, forgotten one at a time.
import * as vscode from 'vscode';
import type { Prompts } from './commands/deploy/prompts';

export class EnvironmentSecrets {
  constructor(
    private readonly storage: vscode.SecretStorage,
    private readonly prompts: Prompts,
    /** The workspace folder the project file is in (its URI as text). */
    private readonly folder: () => string | undefined,
  ) {}

  static key(folder: string, project: string, env: string): string {
    return `greenlight.dbPassword/${encodeURIComponent(folder)}/${encodeURIComponent(project)}/${encodeURIComponent(env)}`;
  }

  private keyOf(project: string, env: string): string {
    return EnvironmentSecrets.key(this.folder() ?? 'no-folder', project, env);
  }

  async stored(project: string, env: string): Promise<string | undefined> {
    return await this.storage.get(this.keyOf(project, env));
  }

  /** The stored password, or asks for it once. Undefined when the user cancelled the prompt. */
  async dbPassword(project: string, env: string, database: string): Promise<string | undefined> {
    const have = await this.stored(project, env);
    if (have !== undefined) return have;
    const typed = await this.prompts.showInputBox({
      title: vscode.l10n.t('Database password for {0}', env),
      prompt: vscode.l10n.t("Password of {0} on {1}. Greenlight keeps it in VS Code's secret storage (never in settings) and asks only once.", database, env),
      placeHolder: vscode.l10n.t('leave empty if the database needs no password'),
      password: true,
      ignoreFocusOut: true,
    });
    if (typed === undefined) return undefined;
    await this.storage.store(this.keyOf(project, env), typed);
    return typed;
  }

  /** Stores (or replaces) the password, as typed into "Set Database Password…". */
  async store(project: string, env: string, password: string): Promise<void> {
    await this.storage.store(this.keyOf(project, env), password);
  }

  async forget(project: string, env: string): Promise<void> {
    await this.storage.delete(this.keyOf(project, env));
  }

  static secretEnvKey(project: string, env: string, name: string): string {
    return `greenlight.secretEnv/${project}/${env}/${name}`;
  }

  async storedSecretEnv(project: string, env: string, name: string): Promise<string | undefined> {
    return await this.storage.get(EnvironmentSecrets.secretEnvKey(project, env, name));
  }

  /**
   * The values of `names` for this environment: stored ones as they are, each missing one asked
   * for once (a password box) and stored. Undefined when the user cancelled a prompt: a service
   * must not start without a secret it declares.
   */
  async secretEnv(project: string, env: string, names: readonly string[], services: string): Promise<Record<string, string> | undefined> {
    const out: Record<string, string> = {};
    for (const name of names) {
      let value = await this.storedSecretEnv(project, env, name);
      if (value === undefined) {
        value = await this.prompts.showInputBox({
          title: vscode.l10n.t('Secret {0} for {1}', name, env),
          prompt: vscode.l10n.t('Value of {0} (secretEnv of {1}) on {2}. Greenlight keeps it in VS Code\'s secret storage (never in settings or logs) and asks only once; "Forget Secret" removes it.', name, services, env),
          password: true,
          ignoreFocusOut: true,
          validateInput: (v) => (v.length > 0 ? undefined : vscode.l10n.t('{0} needs a value; press Escape to cancel the deploy', name)),
        });
        if (value === undefined || value.length === 0) return undefined;
        await this.storage.store(EnvironmentSecrets.secretEnvKey(project, env, name), value);
      }
      out[name] = value;
    }
    return out;
  }

  async forgetSecretEnv(project: string, env: string, name: string): Promise<void> {
    await this.storage.delete(EnvironmentSecrets.secretEnvKey(project, env, name));
  }
}
