// App-managed migrations (Rails, Django, anything with its own runner): database.migrateCommand
// runs in a one-off container of the image under test or being deployed. This builds that
// container's command as data; the images and deploy engines run it. The database URL reaches the
// container through the service's databaseUrlEnv variable and stays a Secret until then.
import { InputError } from '../common/errors';
import type { Secret } from '../common/secret';
import type { GreenlightConfig } from '../config/schema';

export interface OneOffMigrateCommand {
  /** The image to run, e.g. web:v3f2c1a9-20250120T101500. */
  readonly image: string;
  readonly argv: readonly string[];
  /** Plain variables (the service's env) and secret ones (the database URL, secretEnv values). */
  readonly env: Readonly<Record<string, string>>;
  readonly secretEnv: Readonly<Record<string, Secret>>;
  /** A container name that says what it is, for `docker ps` and cleanup. */
  readonly name: string;
  /** For logs: the argv and variable names, never the values of secrets. */
  describe(): string;
}

/** The configured command, or undefined when the built-in runner applies the migrations. */
export function appMigrateCommand(
  config: GreenlightConfig,
  o: { image: string; service?: string; databaseUrl: Secret; secretValues?: Readonly<Record<string, Secret>>; suffix?: string },
): OneOffMigrateCommand | undefined {
  const argv = config.database?.migrateCommand;
  if (!argv) return undefined;
  const service = o.service ? config.services.find((s) => s.name === o.service) : config.services[0];
  if (!service) throw new InputError(o.service ? `migrateCommand: no service named "${o.service}"` : 'migrateCommand needs a service whose image runs it (declare one under services:)');
  const secretEnv: Record<string, Secret> = { [service.databaseUrlEnv]: o.databaseUrl };
  for (const name of service.secretEnv) {
    const v = o.secretValues?.[name];
    if (!v) throw new InputError(`migrateCommand: secret ${name} (services.${service.name}.secretEnv) has no value`);
    secretEnv[name] = v;
  }
  const name = `${config.project}-${service.name}-migrate-${o.suffix ?? Date.now().toString(36)}`;
  return {
    image: o.image,
    argv: [...argv],
    env: { ...service.env },
    secretEnv,
    name,
    describe: () => `docker run --rm --name ${name} ${Object.keys({ ...service.env, ...secretEnv }).map((k) => `-e ${k}`).join(' ')} ${o.image} ${argv.join(' ')}`,
  };
}
