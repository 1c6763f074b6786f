// "Greenlight: Deploy Tested Image" (palette, and Deploy on an environment in the Environments
// view): environment → version that passed its test (from the images ledger, via images.list) →
// a cancellable progress notification while the service deploys, every step in the output
// channel → a message naming the version that serves. An untested version is offered only behind
// an explicit override: the user types the reason, confirms in a modal dialog, and the reason is
// logged here and written to the host's audit log. After a failed release task the pre-deploy
// backup is offered for restore, which runs only after its own modal confirmation.
import * as vscode from 'vscode';
import type { ImageRowDto } from '../../../service/protocol';
import type { Services } from '../../services';
import { formatAge, formatBytes } from '../../views/imagesView';
import { environmentSecrets, messageOf, pickEnvironment, refreshEnvironment, restoreWithConfirmation, runEnvJob } from './common';

/** Optional argument (a view row, or tests/keybindings): skips the questions it answers. */
export interface DeployArgs {
  readonly env?: string | { readonly name: string };
  readonly service?: string;
  /** The image tag (service:version) to deploy. */
  readonly image?: string;
  /** 'always': take the pre-deploy backup even when no migrations are pending. */
  readonly backup?: 'always';
}

type VersionItem = vscode.QuickPickItem & { row?: ImageRowDto; untested?: true };

const UNTESTED_LABEL = '$(warning) Deploy an untested version…';

export function deployTestedImage(s: Services) {
  return async (arg?: DeployArgs): Promise<void> => {
    const root = s.project.root;
    if (!root) return void s.prompts.showWarningMessage('Open a folder with a greenlight.yaml to deploy.');
    if (!vscode.workspace.isTrusted) return void s.prompts.showWarningMessage('Deploying runs this workspace\'s release tasks: trust the workspace first.');
    const env = await pickEnvironment(s, arg, 'Deploy Tested Image: environment');
    if (!env) return;
    const summary = s.project.summary!;
    let service = arg?.service;
    if (!service) {
      if (summary.services.length === 0) return void s.prompts.showWarningMessage('greenlight.yaml declares no services.');
      if (summary.services.length === 1) service = summary.services[0]!.name;
      else {
        const picked = await s.prompts.showQuickPick(summary.services.map((x) => ({ label: x.name, description: `port ${x.port}` })), { title: `Deploy to ${env.name}: service`, ignoreFocusOut: true });
        if (!picked) return;
        service = picked.label;
      }
    }

    let image = arg?.image;
    let untestedOverride: string | undefined;
    if (!image) {
      let rows: readonly ImageRowDto[];
      try {
        const list = await s.client.runJob('images.list', { workspaceRoot: root });
        if (!list.dockerAvailable) return void s.prompts.showErrorMessage(`Cannot list images: the Docker engine at ${list.endpoint} is not reachable (${list.problem ?? ''}).`);
        rows = list.services.find((x) => x.service === service)?.images ?? [];
      } catch (e) {
        return void s.prompts.showErrorMessage(`Cannot list images: ${messageOf(e)}`);
      }
      const running = s.environments.status.peek(env.name)?.services.find((x) => x.service === service)?.version;
      const tested = rows.filter((r) => r.tested === 'passed');
      const untested = rows.filter((r) => r.tested !== 'passed');
      const items: VersionItem[] = tested.map((row) => ({
        label: row.version,
        description: `✓ tested ${row.testedAt ? formatAge(row.testedAt) : ''}${row.version === running ? ' · running now' : ''}`,
        detail: `${row.tag} · ${formatBytes(row.sizeBytes)} · built ${formatAge(row.createdAt)}${row.dirty ? ' · from uncommitted changes' : ''}`,
        row,
      }));
      if (untested.length) items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, { label: UNTESTED_LABEL, description: `${untested.length} version(s) without a passing test`, untested: true });
      if (items.length === 0) return void s.prompts.showWarningMessage(`No images of ${service} yet: build and test them first (Greenlight: Build Images, Test Images).`);
      const picked = await s.prompts.showQuickPick(items, {
        title: `Deploy ${service} to ${env.name}: tested version`,
        placeHolder: tested.length ? 'Versions that passed their test, newest first' : `No version of ${service} passed its test yet`,
        ignoreFocusOut: true,
        matchOnDetail: true,
      });
      if (!picked) return;
      if (picked.untested) {
        const u = await s.prompts.showQuickPick(
          untested.map((row): VersionItem => ({ label: row.version, description: row.tested === 'failed' ? '✗ test failed' : 'never tested', detail: row.tag, row })),
          { title: `Deploy ${service} to ${env.name}: UNTESTED version`, placeHolder: 'These images have no passing test', ignoreFocusOut: true },
        );
        if (!u?.row) return;
        const reason = await s.prompts.showInputBox({
          title: `Deploy untested ${u.row.version} to ${env.name}`,
          prompt: 'Type why this untested image must go out anyway. The text is written to the host\'s audit log with your name.',
          placeHolder: 'e.g. hotfix for the checkout outage, tested by hand on staging',
          ignoreFocusOut: true,
          validateInput: (v) => (v.trim().length >= 8 ? undefined : 'Give a reason of at least 8 characters'),
        });
        if (reason === undefined || reason.trim().length < 8) return;
        const go = await s.prompts.modal(
          `Deploy the UNTESTED image ${u.row.tag} to ${env.name}?`,
          `${u.row.tested === 'failed' ? 'Its test FAILED.' : 'It was never tested.'} Reason: "${reason.trim()}". This override is written to the audit log on the host.`,
          'Deploy Untested',
        );
        if (go !== 'Deploy Untested') return;
        untestedOverride = reason.trim();
        s.output.warn(`override: deploying untested ${u.row.tag} to ${env.name}; reason: "${untestedOverride}"`);
        image = u.row.tag;
      } else {
        image = picked.row!.tag;
      }
    }

    const secrets = await environmentSecrets(s, env, [service]);
    if (!secrets) {
      s.output.warn(`deploy of ${image} to ${env.name} cancelled: a secret it needs was not given`);
      return;
    }
    const backup = arg?.backup === 'always' ? 'always' : undefined;
    const title = `Greenlight: Deploying ${image} to ${env.name}${backup ? ', backing up first' : ''}`;
    const r = await runEnvJob(s, title, 'deploy.run', { workspaceRoot: root, env: env.name, image, service, untestedOverride, backup, secrets }, { env: env.name, retrySecrets: () => environmentSecrets(s, env, [service]) });
    refreshEnvironment(s, env.name);
    if (!r) return;
    for (const w of r.warnings) s.output.warn(`deploy: ${w}`);
    if (r.outcome === 'succeeded') {
      s.output.info(`deploy ${r.deployId}: ${r.message}`);
      void s.prompts.showInformationMessage(`${r.service} ${r.version} is serving on ${env.name}${r.previousVersion ? ` (was ${r.previousVersion}, kept for rollback)` : ''}.${r.backupId ? ` Backup ${r.backupId} taken first.` : ''}`);
      return;
    }
    if (r.outcome === 'cancelled') {
      void s.prompts.showInformationMessage(`Deploy cancelled: ${r.message}`);
      return;
    }
    s.output.error(`deploy ${r.deployId} ${r.outcome}: ${r.message} Serving: ${r.serving}.`);
    if (r.restoreOffer) {
      const a = await s.prompts.showErrorMessage(`Deploy of ${r.version} failed: ${r.serving} is serving on ${env.name}. A release task failed (${r.restoreOffer.tasksRun.join(', ')}); the database may be partly changed.`, 'Restore Pre-Deploy Backup…', 'Show Output');
      if (a === 'Show Output') s.output.show();
      if (a === 'Restore Pre-Deploy Backup…') {
        await restoreWithConfirmation(s, env, r.restoreOffer.backupId, `Release task(s) ${r.restoreOffer.tasksRun.join(', ')} of ${r.version} ran and failed; ${r.restoreOffer.backupId} was taken right before them.`);
        refreshEnvironment(s, env.name);
      }
      return;
    }
    void s.prompts.showErrorMessage(`Deploy of ${r.version} ${r.outcome === 'rolled-back' ? 'rolled back' : 'failed'}: ${r.message}`, 'Show Output').then((a) => a && s.output.show());
  };
}
