import * as assert from 'node:assert/strict';
import { parseConfig } from '../../../src/core/config/load';

const GOOD = `project: demo
services:
  - name: web
    context: app
    port: 8080
    health: { path: /health }
database:
  kind: postgres
  migrations: migrations
environments:
  production:
    ssh: { host: 198.18.77.2, user: deploy, hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE0" }
    database: { name: appdb, user: app, passwordEnv: PROD_DB_PASSWORD }
`;

suite('(unit) config: parseConfig', () => {
  test('a valid file parses with defaults applied', () => {
    const r = parseConfig(GOOD, '/w/greenlight.yaml');
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
    assert.equal(r.config.services[0]?.dockerfile, 'Dockerfile');
    assert.equal(r.config.services[0]?.health.timeoutSeconds, 60);
    assert.equal(r.config.environments.production?.ssh.port, 22);
    assert.equal(r.config.environments.production?.backups.keep, 10);
    assert.equal(r.root, '/w');
  });

  const cases: { name: string; text: string; line: number; column: number; message: RegExp }[] = [
    { name: 'YAML syntax error', text: 'project: demo\nservices:\n  - name: web\n   port: 1\n', line: 4, column: 1, message: /YAML: Sequence item without - indicator/ },
    { name: 'wrong type', text: 'project: demo\nservices:\n  - name: web\n    port: "eighty"\n', line: 4, column: 11, message: /services\[0\]\.port: expected number, got string "eighty"/ },
    { name: 'unknown key', text: 'project: demo\nservics: []\n', line: 2, column: 1, message: /unknown key "servics"/ },
    { name: 'missing required key', text: 'project: demo\nservices:\n  - name: web\n', line: 3, column: 5, message: /services\[0\]\.port: required number is missing/ },
    { name: 'bad enum', text: 'project: demo\ndatabase:\n  kind: mysql\n', line: 3, column: 9, message: /database\.kind: expected one of "postgres", "arangodb"/ },
    { name: 'duplicate service', text: 'project: demo\nservices:\n  - { name: web, port: 1 }\n  - { name: web, port: 2 }\n', line: 4, column: 13, message: /duplicate service name "web"/ },
    { name: 'bad host key', text: 'project: demo\nenvironments:\n  prod:\n    ssh: { host: h, user: u, hostKey: "nonsense" }\n', line: 4, column: 39, message: /hostKey: an OpenSSH public key line/ },
    { name: 'password in the file is not a key', text: 'project: demo\nenvironments:\n  prod:\n    ssh: { host: h, user: u }\n    database: { name: d, user: u, password: hunter2 }\n', line: 5, column: 35, message: /unknown key "password"/ },
  ];
  for (const c of cases) {
    test(`reports ${c.name} at file:line:column`, () => {
      const r = parseConfig(c.text, 'greenlight.yaml');
      assert.equal(r.ok, false);
      if (r.ok) return;
      const p = r.problems[0]!;
      assert.match(p.message, c.message);
      assert.deepEqual([p.file, p.line, p.column], ['greenlight.yaml', c.line, c.column], `problem was: ${JSON.stringify(p)}`);
    });
  }
});
