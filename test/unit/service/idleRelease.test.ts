import * as assert from 'node:assert/strict';
import { IdleRelease, collectGarbage } from '../../../src/service/idleRelease';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

suite('(unit) service: releasing caches when no job has run for a while', () => {
  test('releases once after the last job, not while one runs, and not before the quiet time', async () => {
    let running = 0;
    let released = 0;
    const idle = new IdleRelease(() => running, 60, () => released++);
    running = 2;
    idle.jobStarted();
    idle.jobStarted();
    running = 1;
    idle.jobEnded();
    await sleep(120);
    assert.equal(released, 0, 'a job still runs: nothing is released');
    running = 0;
    idle.jobEnded();
    await sleep(20);
    assert.equal(released, 0, 'released before the quiet time');
    idle.jobStarted();
    await sleep(80);
    assert.equal(released, 0, 'a new job cancels the pending release');
    idle.jobEnded();
    await sleep(120);
    assert.equal(released, 1);
    idle.dispose();
  });

  test('a full collection is available to the service and frees a dropped WebAssembly memory', async () => {
    assert.equal(collectGarbage(), true);
    let memory: WebAssembly.Memory | undefined = new WebAssembly.Memory({ initial: 1024 });
    new Uint8Array(memory.buffer).fill(1);
    const before = process.memoryUsage().external;
    let onFreed!: () => void;
    const freed = new Promise<void>((resolve) => (onFreed = resolve));
    // The registry must stay reachable itself, or its callback never runs.
    const registry = new FinalizationRegistry(() => onFreed());
    registry.register(memory, 0);
    memory = undefined;
    for (let i = 0; i < 5; i++) {
      collectGarbage();
      await sleep(20);
    }
    await Promise.race([freed, sleep(2000).then(() => assert.fail('the memory was not collected'))]);
    assert.ok(registry);
    assert.ok(process.memoryUsage().external < before - 32 * 1048576, `external memory did not drop by the 64 MiB (before ${before}, after ${process.memoryUsage().external})`);
  });
});
