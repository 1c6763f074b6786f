// A Writable that hands complete lines to the CLI's output functions, so a container's streamed
// output (logs, exec) goes through CliIo like every other line, and tests can read it.
import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

export function lineWriter(write: (line: string) => void): Writable {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  const emit = (text: string, final: boolean): void => {
    partial += text;
    const lines = partial.split('\n');
    partial = final ? '' : lines.pop()!;
    for (const l of final && lines[lines.length - 1] === '' ? lines.slice(0, -1) : lines) write(l.replace(/\r$/, ''));
  };
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      emit(decoder.write(chunk), false);
      cb();
    },
    final(cb) {
      emit(decoder.end(), true);
      cb();
    },
  });
}

/** Ends the writers and waits until their last partial lines were written. */
export async function endAll(...writers: Writable[]): Promise<void> {
  await Promise.all(writers.map((w) => new Promise<void>((resolve) => w.end(resolve))));
}
