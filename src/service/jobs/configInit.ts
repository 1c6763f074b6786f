// "Create Project File": the text `greenlight init` writes, from the same engine (src/core/config/init.ts).
import type { JobContext } from '../../core/common/job';
import { inspectWorkspace, parseSshTarget, renderProjectFile } from '../../core/config/init';
import type { JobParams, JobResult } from '../protocol';

export async function configInitJob(params: JobParams<'config.init'>, _ctx: JobContext): Promise<JobResult<'config.init'>> {
  // The same check as `greenlight init --ssh`: the answers typed into the input boxes are data for YAML, but must name a target.
  const ssh = params.ssh ? parseSshTarget(`${params.ssh.user}@${params.ssh.host}${params.ssh.port ? `:${params.ssh.port}` : ''}`) : undefined;
  const facts = await inspectWorkspace(params.workspaceRoot, { git: params.useGit });
  const found = [
    facts.packageName ? `package.json "${facts.packageName}"` : undefined,
    ...facts.dockerfiles.map((d) => d.file),
    facts.composeFile,
    facts.migrations ? `${facts.migrations.tool} migrations in ${facts.migrations.dir}` : undefined,
    facts.gitRemote ? 'the git remote' : undefined,
  ].filter((x): x is string => x !== undefined);
  return { text: renderProjectFile(facts, { ssh, envName: params.envName }), found };
}
