import * as assert from 'node:assert/strict';
import { BuildOutput, instructionLine } from '../../../src/core/images/buildOutput';

suite('(unit) images: build output', () => {
  test('tracks the step, its output and the image id', () => {
    const b = new BuildOutput();
    const lines = [
      ...b.push({ stream: 'Step 1/3 : FROM scratch\n' }),
      ...b.push({ stream: ' ---> \n' }),
      ...b.push({ stream: 'Step 2/3 : COPY app/ /app/\n ---> 1234\n' }),
      ...b.push({ aux: { ID: 'sha256:' + 'a'.repeat(64) } }),
    ];
    assert.deepEqual(lines, ['Step 1/3 : FROM scratch', ' ---> ', 'Step 2/3 : COPY app/ /app/', ' ---> 1234']);
    assert.deepEqual(b.step, { index: 2, total: 3, instruction: 'COPY app/ /app/' });
    assert.equal(b.imageId, 'sha256:' + 'a'.repeat(64));
  });

  test('a failing step keeps its own output, split across chunks', () => {
    const b = new BuildOutput();
    b.push({ stream: 'Step 1/2 : FROM x\n' });
    b.push({ stream: 'noise\n' });
    b.push({ stream: 'Step 2/2 : RUN ./configure\n ---> Running in 42\nchecking for gcc... ' });
    b.push({ stream: 'no\n\x1b[91mconfigure: error: no C compiler\n\x1b[0m' });
    b.push({ stream: 'Removing intermediate container 42\n' });
    b.push({ error: 'The command \'/bin/sh -c ./configure\' returned a non-zero code: 1', errorDetail: { code: 1, message: "The command '/bin/sh -c ./configure' returned a non-zero code: 1" } });
    assert.equal(b.step?.instruction, 'RUN ./configure');
    assert.deepEqual(b.stepOutput(), ['checking for gcc... no', 'configure: error: no C compiler']);
    assert.match(b.error ?? '', /non-zero code: 1/);
  });

  test('instruction n maps to its Dockerfile line (comments, blank lines, continuations, directives)', () => {
    const df = ['# syntax=docker/dockerfile:1', '', '# a comment', 'FROM scratch', 'COPY a \\', '  b /x/', '', 'ENV A=1 \\', '# inside', '  B=2', 'CMD ["x"]'].join('\n');
    assert.equal(instructionLine(df, 1), 4);
    assert.equal(instructionLine(df, 2), 5);
    assert.equal(instructionLine(df, 3), 8);
    assert.equal(instructionLine(df, 4), 11);
    assert.equal(instructionLine(df, 5), undefined);
  });
});
