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


export function deployTestedImage(s: Services) {
  return async (arg?: DeployArgs): Promise<void> => {
    const root = s.project.root;
    if (!root) return void s.prompts.showWarningMessage(vscode.l10n.t('Open a folder with a greenlight.yaml to deploy.'));
    if (!vscode.workspace.isTrusted) return void s.prompts.showWarningMessage(vscode.l10n.t("Deploying runs this workspace's release tasks: trust the workspace first."));
    const env = await pickEnvironment(s, arg, vscode.l10n.t('Deploy Tested Image: environment'));
    if (!env) return;
    const summary = s.project.summary!;
    let service = arg?.service;
    if (!service) {
      if (summary.services.length === 0) return void s.prompts.showWarningMessage(vscode.l10n.t('greenlight.yaml declares no services.'));
      if (summary.services.length === 1) service = summary.services[0]!.name;
      else {
        const picked = await s.prompts.showQuickPick(summary.services.map((x) => ({ label: x.name, description: vscode.l10n.t('port {0}', x.port) })), { title: vscode.l10n.t('Deploy to {0}: service', env.name), ignoreFocusOut: true });
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
        if (!list.dockerAvailable) return void s.prompts.showErrorMessage(vscode.l10n.t('Cannot list images: the Docker engine at {0} is not reachable ({1}).', list.endpoint, list.problem ?? ''));
        rows = list.services.find((x) => x.service === service)?.images ?? [];
      } catch (e) {
        return void s.prompts.showErrorMessage(vscode.l10n.t('Cannot list images: {0}', messageOf(e)));
      }
      const running = s.environments.status.peek(env.name)?.services.find((x) => x.service === service)?.version;
      const tested = rows.filter((r) => r.tested === 'passed');
      const untested = rows.filter((r) => r.tested !== 'passed');
      const items: VersionItem[] = tested.map((row) => ({
        label: row.version,
        description: `✓ ${vscode.l10n.t('tested {0}', row.testedAt ? formatAge(row.testedAt) : '')}${row.version === running ? ` · ${vscode.l10n.t('running now')}` : ''}`,
        detail: `${row.tag} · ${formatBytes(row.sizeBytes)} · ${vscode.l10n.t('built {0}', formatAge(row.createdAt))}${row.dirty ? ` · ${vscode.l10n.t('from uncommitted changes')}` : ''}`,
        row,
      }));
      if (untested.length) items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, { label: `$(warning) ${vscode.l10n.t('Deploy an untested version…')}`, description: vscode.l10n.t('{0} version(s) without a passing test', untested.length), untested: true });
      if (items.length === 0) return void s.prompts.showWarningMessage(vscode.l10n.t('No images of {0} yet: build and test them first (Greenlight: Build Images, Test Images).', service));
      const picked = await s.prompts.showQuickPick(items, {
        title: vscode.l10n.t('Deploy {0} to {1}: tested version', service, env.name),
        placeHolder: tested.length ? vscode.l10n.t('Versions that passed their test, newest first') : vscode.l10n.t('No version of {0} passed its test yet', service),
        ignoreFocusOut: true,
        matchOnDetail: true,
      });
      if (!picked) return;
      if (picked.untested) {
        const u = await s.prompts.showQuickPick(
          untested.map((row): VersionItem => ({ label: row.version, description: row.tested === 'failed' ? `✗ ${vscode.l10n.t('test failed')}` : vscode.l10n.t('never tested'), detail: row.tag, row })),
          { title: vscode.l10n.t('Deploy {0} to {1}: UNTESTED version', service, env.name), placeHolder: vscode.l10n.t('These images have no passing test'), ignoreFocusOut: true },
        );
        if (!u?.row) return;
        const reason = await s.prompts.showInputBox({
          title: vscode.l10n.t('Deploy untested {0} to {1}', u.row.version, env.name),
          prompt: vscode.l10n.t("Type why this untested image must go out anyway. The text is written to the host's audit log with your name."),
          placeHolder: vscode.l10n.t('e.g. hotfix for the checkout outage, tested by hand on staging'),
          ignoreFocusOut: true,
          validateInput: (v) => (v.trim().length >= 8 ? undefined : vscode.l10n.t('Give a reason of at least 8 characters')),
        });
        if (reason === undefined || reason.trim().length < 8) return;
        const deployUntested = vscode.l10n.t('Deploy Untested');
        const go = await s.prompts.modal(
          vscode.l10n.t('Deploy the UNTESTED image {0} to {1}?', u.row.tag, env.name),
          `${u.row.tested === 'failed' ? vscode.l10n.t('Its test FAILED.') : vscode.l10n.t('It was never tested.')} ${vscode.l10n.t('Reason: "{0}". This override is written to the audit log on the host.', reason.trim())}`,
          deployUntested,
        );
        if (go !== deployUntested) return;
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
    const title = backup ? vscode.l10n.t('Greenlight: Deploying {0} to {1}, backing up first', image, env.name) : vscode.l10n.t('Greenlight: Deploying {0} to {1}', image, env.name);
    const r = await runEnvJob(s, title, 'deploy.run', { workspaceRoot: root, env: env.name, image, service, untestedOverride, backup, secrets }, { env: env.name, retrySecrets: () => environmentSecrets(s, env, [service]) });
    refreshEnvironment(s, env.name);
    if (!r) return;
    for (const w of r.warnings) s.output.warn(`deploy: ${w}`);
    if (r.outcome === 'succeeded') {
      s.output.info(`deploy ${r.deployId}: ${r.message}`);
      const was = r.previousVersion ? vscode.l10n.t(' (was {0}, kept for rollback)', r.previousVersion) : '';
      const backupNote = r.backupId ? vscode.l10n.t(' Backup {0} taken first.', r.backupId) : '';
      void s.prompts.showInformationMessage(vscode.l10n.t('{0} {1} is serving on {2}{3}.{4}', r.service, r.version, env.name, was, backupNote));
      return;
    }
    if (r.outcome === 'cancelled') {
      void s.prompts.showInformationMessage(vscode.l10n.t('Deploy cancelled: {0}', r.message));
      return;
    }
    s.output.error(`deploy ${r.deployId} ${r.outcome}: ${r.message} Serving: ${r.serving}.`);
    if (r.restoreOffer) {
      const restore = vscode.l10n.t('Restore Pre-Deploy Backup…');
      const show = vscode.l10n.t('Show Output');
      const a = await s.prompts.showErrorMessage(
        vscode.l10n.t('Deploy of {0} failed: {1} is serving on {2}. A release task failed ({3}); the database may be partly changed.', r.version, r.serving, env.name, r.restoreOffer.tasksRun.join(', ')),
        restore,
        show,
      );
      if (a === show) s.output.show();
      if (a === restore) {
        await restoreWithConfirmation(s, env, r.restoreOffer.backupId, vscode.l10n.t('Release task(s) {0} of {1} ran and failed; {2} was taken right before them.', r.restoreOffer.tasksRun.join(', '), r.version, r.restoreOffer.backupId));
        refreshEnvironment(s, env.name);
      }
      return;
    }
    void s.prompts.showErrorMessage(r.outcome === 'rolled-back' ? vscode.l10n.t('Deploy of {0} rolled back: {1}', r.version, r.message) : vscode.l10n.t('Deploy of {0} failed: {1}', r.version, r.message), vscode.l10n.t('Show Output')).then((a) => a && s.output.show());
  };
}
