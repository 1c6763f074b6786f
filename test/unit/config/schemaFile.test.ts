import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { emitSchema } from '../../../scripts/emitSchema';

// Editors validate greenlight.yaml with the committed JSON Schema, the engine with the zod schema:
// if the two drifted apart, the editor would accept files the CLI refuses (or the reverse).
suite('(unit) config: the committed JSON Schema', () => {
  test('equals the schema generated from the validator (run node scripts/build.mjs to refresh it)', () => {
    const committed = JSON.parse(readFileSync(path.join(__dirname, '../../../schemas/greenlight.schema.json'), 'utf8'));
    assert.deepEqual(committed, JSON.parse(JSON.stringify(emitSchema())));
  });

  test('names every top-level key of greenlight.yaml', () => {
    const schema = emitSchema() as { properties: Record<string, unknown> };
    assert.deepEqual(Object.keys(schema.properties).sort(), ['$schema', 'database', 'environments', 'lint', 'project', 'services', 'test'].sort());
  });
});
