// Entry point for the build: turns the zod config schema into a JSON Schema document.
import { z } from 'zod';
import { configSchema } from '../src/core/config/schema';

export function emitSchema(): unknown {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, $id: 'https://greenlight.invalid/schemas/greenlight.schema.json', title: 'Greenlight project file (greenlight.yaml)' };
}
