import * as assert from 'node:assert/strict';
import { parseDocument } from 'yaml';
import { pinHostKeyEdits, sshFieldEdits } from '../../../src/service/jobs/deployHostKey';

function apply(text: string, edits: readonly { offset: number; length: number; newText: string }[]): string {
  let next = text;
  for (const e of [...edits].sort((a, b) => b.offset - a.offset)) next = next.slice(0, e.offset) + e.newText + next.slice(e.offset + e.length);
  return next;
}

const FILE = `# project
project: demo
environments:
  production:
    ssh:
      host: 198.18.77.2 # the box
      user: deploy
    docker: {}
`;

suite('ssh field edits of greenlight.yaml ("Set Identity File…", "Trust Host Key…")', () => {
  test('adds identityFile at the end of the ssh mapping, keeping comments and indentation', () => {
    const out = apply(FILE, sshFieldEdits(FILE, 'greenlight.yaml', 'production', 'identityFile', '~/.ssh/id_ed25519'));
    assert.match(out, /      user: deploy\n      identityFile: "~\/\.ssh\/id_ed25519"\n    docker: \{\}/);
    assert.match(out, /# the box/);
    assert.equal(parseDocument(out).getIn(['environments', 'production', 'ssh', 'identityFile']), '~/.ssh/id_ed25519');
  });

  test('replaces an existing identityFile in place', () => {
    const first = apply(FILE, sshFieldEdits(FILE, 'f', 'production', 'identityFile', 'keys/old'));
    const second = apply(first, sshFieldEdits(first, 'f', 'production', 'identityFile', 'keys/new key'));
    assert.equal(parseDocument(second).getIn(['environments', 'production', 'ssh', 'identityFile']), 'keys/new key');
    assert.equal(second.match(/identityFile/g)?.length, 1);
  });

  test('refuses a value over two lines and an unknown environment, saying where', () => {
    assert.throws(() => sshFieldEdits(FILE, 'f', 'production', 'identityFile', 'a\nb'), /one line/);
    assert.throws(() => sshFieldEdits(FILE, 'greenlight.yaml', 'staging', 'identityFile', 'k'), /greenlight\.yaml: environments\.staging\.ssh is not a mapping/);
  });

  test('the host key pin still checks the key line', () => {
    assert.throws(() => pinHostKeyEdits(FILE, 'f', 'production', 'not a key'), /not an OpenSSH public key line/);
    const line = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMqCUAp30qsYyejfLK1eccrNBe+jE5zRztPvL/NZIRvO';
    assert.equal(parseDocument(apply(FILE, pinHostKeyEdits(FILE, 'f', 'production', line))).getIn(['environments', 'production', 'ssh', 'hostKey']), line);
  });
});
