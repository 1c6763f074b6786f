// "Greenlight: Deploy Tested Image, Backing Up First": the same questions and deploy as "Deploy
// Tested Image", with the engine's pre-deploy backup policy 'always', for a deploy whose release
// tasks or data changes Greenlight cannot see (by default it backs up only when migrations are
// pending). The CLI's --force-backup.
import type { Services } from '../../services';
import { deployTestedImage, type DeployArgs } from './deployTestedImage';

export function deployWithBackup(s: Services) {
  const deploy = deployTestedImage(s);
  // A view row or a DeployArgs object keeps its answers; a bare environment name becomes { env }.
  return async (arg?: DeployArgs | string): Promise<void> => deploy({ ...(typeof arg === 'string' ? { env: arg } : arg), backup: 'always' });
}
