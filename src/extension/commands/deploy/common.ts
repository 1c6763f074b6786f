// What the deploy and backup commands share: which environment a command is about (its argument
// from a view row, else a quick pick), the environment's secrets from SecretStorage, running a
// service job with a cancellable progress notification and its log in the output channel, the
// "Trust this key" flow when a host key is refused, and a restore that happens only after a modal
// confirmation.
import * as vscode from 'vscode';
import type { EnvironmentSecretsParams, EnvironmentSummary, JobKind, JobParams, JobResult } from '../../../service/protocol';
import { JobFailedError } from '../../serviceClient';
import type { Services } from '../../services';
import { editProjectFile } from '../../projectFileEdit';

export function envNameOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg && typeof arg === 'object' && 'env' in arg) {
    const e = (arg as { env?: unknown }).env;
    if (typeof e === 'string') return e;
    if (e && typeof e === 'object' && 'name' in e && typeof (e as { name: unknown }).name === 'string') return (e as { name: string }).name;
  }
  return undefined;
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The environment the command is about; asks with a quick pick when the argument names none. */
export async function pickEnvironment(s: Services, arg: unknown, title: string): Promise<EnvironmentSummary | undefined> {
  const summary = s.project.summary ?? (await s.project.refresh());
  if (!summary?.ok) {
    void s.prompts.showWarningMessage(summary?.found ? vscode.l10n.t('greenlight.yaml has problems; fix them first (see the Problems panel).') : vscode.l10n.t('No greenlight.yaml in this workspace.'));
    return undefined;
  }
  if (summary.environments.length === 0) {
    void s.prompts.showWarningMessage(vscode.l10n.t('greenlight.yaml declares no environments: add one under `environments:` first.'));
    return undefined;
  }
  const named = envNameOf(arg);
  if (named) {
    const e = summary.environments.find((x) => x.name === named);
    if (!e) void s.prompts.showErrorMessage(vscode.l10n.t('No environment "{0}" in greenlight.yaml.', named));
    return e;
  }
  const items = summary.environments.map((env) => {
    const st = s.environments.status.peek(env.name);
    const running = st?.reachable ? st.services.map((x) => (x.version ? `${x.service} ${x.version}` : vscode.l10n.t('{0}: not deployed', x.service))).join(', ') : undefined;
    return { label: env.name, description: env.sshTarget, detail: running ? vscode.l10n.t('running {0}', running) : undefined, env };
  });
  const picked = await s.prompts.showQuickPick(items, { title, placeHolder: vscode.l10n.t('Environment'), ignoreFocusOut: true });
  return picked?.env;
}

/**
 * The secrets a job needs for this environment, from SecretStorage (each asked once): the database
 * password, and the secretEnv values of `services` (the ones a deploy starts). Undefined: cancelled.
 */
export async function environmentSecrets(s: Services, env: EnvironmentSummary, services: readonly string[] = []): Promise<EnvironmentSecretsParams | undefined> {
  const project = s.project.summary?.project ?? 'project';
  const out: { dbPassword?: string; secretEnv?: Record<string, string> } = {};
  if (env.database) {
    const dbPassword = await s.secrets.dbPassword(project, env.name, env.database);
    if (dbPassword === undefined) return undefined;
    out.dbPassword = dbPassword;
  }
  const declared = (s.project.summary?.services ?? []).filter((x) => services.includes(x.name));
  const names = [...new Set(declared.flatMap((x) => x.secretEnv))];
  if (names.length) {
    const secretEnv = await s.secrets.secretEnv(project, env.name, names, declared.map((x) => x.name).join(', '));
    if (secretEnv === undefined) return undefined;
    out.secretEnv = secretEnv;
  }
  return out;
}

export interface EnvJobOptions {
  readonly env: string;
  /** Show a cancellable progress notification (default true). */
  readonly progress?: boolean;
  /** Ask for the password again when the database refused it (jobs that reach the database). */
  readonly retrySecrets?: () => Promise<EnvironmentSecretsParams | undefined>;
}

const HOST_KEY = /host key/i;
const BAD_PASSWORD = /password authentication failed|no password supplied|fe_sendauth/i;

/**
 * Runs a job about an environment. A refused host key leads to the "Trust this key" question and,
 * once pinned, one retry. Errors are reported here; the result is undefined then, or when cancelled.
 */
export async function runEnvJob<K extends JobKind>(s: Services, title: string, kind: K, params: JobParams<K>, opts: EnvJobOptions): Promise<JobResult<K> | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await runJobWithProgress(s, title, kind, params, opts.progress ?? true);
    } catch (e) {
      const message = messageOf(e);
      if (e instanceof JobFailedError && e.cancelled) {
        s.output.warn(`${title}: cancelled`);
        void s.prompts.showInformationMessage(vscode.l10n.t('{0}: cancelled.', title));
        return undefined;
      }
      s.output.error(`${title} failed: ${message}`);
      if (attempt === 0 && HOST_KEY.test(message)) {
        if (await offerTrust(s, opts.env)) continue;
        return undefined;
      }
      if (attempt === 0 && BAD_PASSWORD.test(message) && opts.retrySecrets) {
        const again = await s.prompts.showErrorMessage(vscode.l10n.t('{0}: the database refused the password stored for {1}.', title, opts.env), vscode.l10n.t('Enter Password Again'));
        if (again) {
          await s.secrets.forget(s.project.summary?.project ?? 'project', opts.env);
          const secrets = await opts.retrySecrets();
          if (secrets) {
            params = { ...params, secrets };
            continue;
          }
        }
        return undefined;
      }
      void s.prompts.showErrorMessage(vscode.l10n.t('{0} failed: {1}', title, message.split('\n')[0]!), vscode.l10n.t('Show Output')).then((a) => a && s.output.show());
      return undefined;
    }
  }
}

async function runJobWithProgress<K extends JobKind>(s: Services, title: string, kind: K, params: JobParams<K>, progress: boolean): Promise<JobResult<K>> {
  s.output.info(`${title}…`);
  const onLog = (l: { line: string; level: 'info' | 'warn' | 'error' }): void => s.output[l.level === 'info' ? 'info' : l.level](l.line);
  if (!progress) return await s.client.runJob(kind, params, { onLog });
  return await s.prompts.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (p, token) => {
    let last = 0;
    return s.client.runJob(kind, params, {
      token,
      onLog,
      onProgress: (x) => {
        const pct = x.fraction !== undefined ? Math.round(x.fraction * 100) : undefined;
        p.report({ message: `${x.step}${x.message ? `: ${x.message}` : ''}`, increment: pct !== undefined && pct > last ? pct - last : undefined });
        if (pct !== undefined) last = Math.max(last, pct);
      },
    });
  });
}

/**
 * Shows the key the host offers (SHA256 fingerprint) and pins it only on an explicit "Trust This
 * Key". The pin goes into greenlight.yaml (environments.<env>.ssh.hostKey) through a WorkspaceEdit:
 * the project file is what the CLI and every teammate read, so editor and CLI verify the same key,
 * and the change is visible and reviewable in version control (a per-workspace store would let the
 * editor trust a host the CLI refuses, and nobody would see the pin).
 */
export async function offerTrust(s: Services, env: string): Promise<boolean> {
  const root = s.project.root;
  if (!root) return false;
  let check;
  try {
    check = await s.client.runJob('deploy.hostKey', { workspaceRoot: root, env });
  } catch (e) {
    void s.prompts.showErrorMessage(vscode.l10n.t('Cannot check the host key of {0}: {1}', env, messageOf(e)));
    return false;
  }
  if (check.status === 'trusted') {
    void s.prompts.showInformationMessage(vscode.l10n.t('The host key of {0} ({1}:{2}) is already trusted.', env, check.host, check.port));
    return true;
  }
  const where = `${check.host}:${check.port}`;
  const headline = check.status === 'changed' ? vscode.l10n.t('The host key of {0} ({1}) CHANGED.', env, where) : vscode.l10n.t('The host key of {0} ({1}) is not known yet.', env, where);
  const detail =
    `${vscode.l10n.t('It offers {0} {1}.', check.keyType ?? '', check.fingerprint ?? '')}\n\n` +
    (check.status === 'changed' ? `${vscode.l10n.t('This can be a machine in the middle. Trust the new key only if you know the server was reinstalled or its key rotated.')}\n\n` : '') +
    vscode.l10n.t("Compare the fingerprint with the server's own ({0} on the host). Trusting pins it as environments.{1}.ssh.hostKey in greenlight.yaml.", `ssh-keygen -lf /etc/ssh/ssh_host_${(check.keyType ?? 'ed25519').replace(/^ssh-/, '')}_key.pub`, env);
  s.output.warn(`${headline} Offered: ${check.keyType} ${check.fingerprint}`);
  const trust = vscode.l10n.t('Trust This Key');
  const choice = await s.prompts.modal(headline, detail, trust);
  const keyLine = check.keyLine;
  if (choice !== trust || !keyLine) {
    s.output.info(`host key of ${env} not trusted; nothing changed`);
    return false;
  }
  const uri = await editProjectFile(s, root, 'the host key', (text, file) => s.client.runJob('deploy.pinHostKeyEdit', { text, file, env, keyLine }));
  if (!uri) return false;
  s.output.info(`pinned the host key of ${env} (${check.keyType} ${check.fingerprint}) in ${uri.fsPath}`);
  await s.project.refresh();
  return true;
}

/** Restores a backup only after a modal confirmation naming the backup and the database. */
export async function restoreWithConfirmation(s: Services, env: EnvironmentSummary, backupId: string, why?: string): Promise<boolean> {
  const root = s.project.root;
  if (!root) return false;
  const restore = vscode.l10n.t('Restore');
  const choice = await s.prompts.modal(
    vscode.l10n.t('Restore backup {0} into {1} on {2}?', backupId, env.database ?? vscode.l10n.t('the database'), env.name),
    `${why ? `${why}\n\n` : ''}${vscode.l10n.t('This replaces the current contents of every object in the backup (pg_restore --clean in one transaction: a failed restore changes nothing). The backup is verified (sha256) first.')}`,
    restore,
  );
  if (choice !== restore) {
    s.output.info(`restore of ${backupId} not confirmed; nothing changed`);
    return false;
  }
  const secrets = await environmentSecrets(s, env);
  if (!secrets) return false;
  s.output.warn(`restoring ${backupId} into ${env.database} on ${env.name} (confirmed)`);
  const r = await runEnvJob(s, vscode.l10n.t('Greenlight: Restoring {0} on {1}', backupId, env.name), 'backup.restore', { workspaceRoot: root, env: env.name, id: backupId, confirmed: true, secrets }, { env: env.name, retrySecrets: () => environmentSecrets(s, env) });
  if (r?.restored) void s.prompts.showInformationMessage(vscode.l10n.t('Restored {0} into {1} on {2} in {3} s.', backupId, env.database ?? '', env.name, (r.durationMs / 1000).toFixed(1)));
  return r?.restored === true;
}

/** Everything that shows an environment's state asks again. */
export function refreshEnvironment(s: Services, env: string): void {
  s.environments.status.refresh(env);
  s.backups.refresh(env);
}
