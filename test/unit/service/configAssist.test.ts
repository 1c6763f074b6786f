// Completion and hover in greenlight.yaml from the committed JSON Schema: keys at every nesting
// level (top, services[], environments.<name>, deeper), enum values, keys already present left
// out, and hover with the schema's description. A "|" in a sample marks the cursor.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { completeConfig, hoverConfig, type JsonSchema } from '../../../src/service/configSchemaAssist';

const schema = JSON.parse(readFileSync(path.join(__dirname, '../../../schemas/greenlight.schema.json'), 'utf8')) as JsonSchema;

function at(sample: string): { text: string; position: { line: number; character: number } } {
  const offset = sample.indexOf('|');
  assert.ok(offset >= 0, 'the sample marks the cursor with |');
  const text = sample.slice(0, offset) + sample.slice(offset + 1);
  const doc = TextDocument.create('file:///w/greenlight.yaml', 'yaml', 1, text);
  return { text, position: doc.positionAt(offset) };
}

function labels(sample: string): string[] {
  const { text, position } = at(sample);
  return completeConfig(schema, text, position).map((i) => i.label);
}

function hover(sample: string): string | undefined {
  const { text, position } = at(sample);
  const h = hoverConfig(schema, TextDocument.create('file:///w/greenlight.yaml', 'yaml', 1, text), position);
  return h ? (h.contents as { value: string }).value : undefined;
}

const DOC = `project: shop
services:
  - name: web
    port: 8080
    health: { path: /health }
database:
  kind: postgres
  migrations: migrations
environments:
  production:
    ssh:
      host: 198.18.77.2
      user: deploy
    backups: { dir: /srv/backups, keep: 7 }
`;

suite('(unit) service: greenlight.yaml completion and hover from the schema', () => {
  test('top-level keys in an empty file, and only those not yet written', () => {
    assert.deepEqual(labels('|').sort(), ['database', 'environments', 'lint', 'project', 'services', 'test']);
    assert.deepEqual(labels('project: shop\n|\nservices: []\n').sort(), ['database', 'environments', 'lint', 'test']);
  });

  test('a partly typed key is replaced by the completion, and nested blocks end at the colon', () => {
    const { text, position } = at('proj|');
    const item = completeConfig(schema, text, position).find((i) => i.label === 'project');
    assert.ok(item && item.textEdit && 'range' in item.textEdit);
    assert.deepEqual(item.textEdit.range, { start: { line: 0, character: 0 }, end: { line: 0, character: 4 } });
    assert.equal(item.textEdit.newText, 'project: ');
    // Inside an existing key, the whole key and its colon are replaced.
    const inside = at('services:\n  - na|me: web\n');
    const port = completeConfig(schema, inside.text, inside.position).find((i) => i.label === 'port');
    assert.deepEqual(port?.textEdit && 'range' in port.textEdit ? port.textEdit.range : undefined, { start: { line: 1, character: 4 }, end: { line: 1, character: 10 } });
    const services = completeConfig(schema, '', { line: 0, character: 0 }).find((i) => i.label === 'services');
    assert.equal(services?.textEdit?.newText, 'services:');
  });

  test('keys of a services[] item: on the "- " line, on the next lines, compact and indented sequences', () => {
    const serviceKeys = labels('services:\n  - |\n');
    for (const k of ['name', 'context', 'dockerfile', 'port', 'health', 'networks', 'publish', 'env', 'secretEnv']) assert.ok(serviceKeys.includes(k), `${k} in ${serviceKeys}`);
    assert.ok(!serviceKeys.includes('project'), 'no top-level key inside a service');
    const second = labels('services:\n  - name: web\n    port: 80\n    |\n  - name: worker\n');
    assert.ok(second.includes('context') && !second.includes('name') && !second.includes('port'), `present keys are left out: ${second}`);
    const compact = labels('services:\n- name: web\n  |\n');
    assert.ok(compact.includes('dockerfile') && !compact.includes('name'), `compact sequence: ${compact}`);
    // The next item is a new mapping: its keys are all offered again.
    assert.ok(labels(DOC.replace('    port: 8080\n', '    port: 8080\n  - n|\n')).includes('name'));
  });

  test('deeper keys: services[].health, environments.<name>, its ssh, database and backups', () => {
    assert.deepEqual(labels(DOC.replace('    health: { path: /health }\n', '    health:\n      |\n')).sort(), ['host', 'intervalMs', 'path', 'statuses', 'timeoutSeconds']);
    const env = labels(DOC.replace('    backups:', '    |\n    backups:'));
    for (const k of ['docker', 'database', 'releaseTasks', 'keepVersions', 'ship', 'host']) assert.ok(env.includes(k), `${k} in ${env}`);
    assert.ok(!env.includes('ssh') && !env.includes('backups'), `ssh and backups are written already: ${env}`);
    assert.deepEqual(labels(DOC.replace('      user: deploy\n', '      user: deploy\n      |\n')).sort(), ['hostKey', 'identityFile', 'knownHostsFile', 'port']);
    assert.deepEqual(labels('environments:\n  staging:\n    database:\n      container:\n        |').sort(), ['host', 'name', 'port']);
    assert.deepEqual(labels('environments:\n  staging:\n    releaseTasks:\n      - |').sort(), ['command', 'name', 'phase']);
    // Environment names are the user's own: nothing to offer directly under environments.
    assert.deepEqual(labels('environments:\n  |'), []);
  });

  test('enum values after "key: ", in nested mappings and list items', () => {
    assert.deepEqual(labels('database:\n  kind: |'), ['postgres', 'arangodb']);
    assert.deepEqual(labels('database:\n  kind: po|'), ['postgres', 'arangodb']);
    assert.deepEqual(labels('test:\n  mode: |'), ['test-db', 'snapshot', 'none']);
    assert.deepEqual(labels('services:\n  - name: web\n    networkMode: |'), ['bridge', 'host']);
    assert.deepEqual(labels('environments:\n  prod:\n    ship:\n      mode: |'), ['stream', 'artifact', 'registry']);
    assert.deepEqual(labels('environments:\n  prod:\n    releaseTasks:\n      - name: migrate\n        phase: |'), ['before-start', 'after-health']);
    assert.deepEqual(labels('lint:\n  rules:\n    sql-drop-table: |'), ['off', 'error', 'warning', 'info']);
    // A value whose schema has no enum offers nothing (a free string).
    assert.deepEqual(labels('project: |'), []);
    const { text, position } = at('database:\n  kind: po|');
    const item = completeConfig(schema, text, position)[0]!;
    assert.deepEqual(item.textEdit && 'range' in item.textEdit ? item.textEdit.range : undefined, { start: { line: 1, character: 8 }, end: { line: 1, character: 10 } });
  });

  test('hover on a key shows its description; on a value, its key; unknown keys none', () => {
    assert.match(hover(DOC.replace('project:', 'pro|ject:'))!, /Project name; prefixes container names/);
    assert.match(hover(DOC.replace('port: 8080', 'po|rt: 8080'))!, /Port the service listens on inside its container/);
    assert.match(hover(DOC.replace('host: 198', 'ho|st: 198'))!, /SSH host name or address/);
    assert.match(hover(DOC.replace('{ path:', '{ pa|th:'))!, /HTTP path that answers 200/);
    const kind = hover(DOC.replace('kind: postgres', 'kind: post|gres'))!;
    assert.match(kind, /Database engine/);
    assert.match(kind, /`postgres`, `arangodb`/);
    assert.match(hover(DOC.replace('keep: 7', 'ke|ep: 7'))!, /How many backups to keep[\s\S]*Default: `10`/);
    assert.equal(hover('project: shop\nnotAKey|: 1\n'), undefined);
    assert.equal(hover('environments:\n  production:\n    sssh|:\n'), undefined);
  });

  test('the hover range is the key under the cursor', () => {
    const { text, position } = at(DOC.replace('migrations: migrations', 'migr|ations: migrations'));
    const h = hoverConfig(schema, TextDocument.create('file:///w/greenlight.yaml', 'yaml', 1, text), position)!;
    assert.deepEqual(h.range, { start: { line: 7, character: 2 }, end: { line: 7, character: 12 } });
  });
});
