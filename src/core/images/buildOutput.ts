// Reads the daemon's JSON build stream: which step runs, what it printed, and, when the build
// fails, which step failed and where that instruction is in the Dockerfile. Pure, so the
// failure message is tested without a daemon.

export interface BuildEvent {
  readonly stream?: string;
  readonly status?: string;
  readonly progress?: string;
  readonly error?: string;
  readonly errorDetail?: { message?: string; code?: number };
  readonly aux?: { ID?: string };
}

export interface StepInfo {
  readonly index: number;
  readonly total: number;
  readonly instruction: string;
}

export class BuildOutput {
  #current: StepInfo | undefined;
  #stepLines: string[] = [];
  #imageId: string | undefined;
  #error: string | undefined;
  #partial = '';

  /** Feeds one event; returns the complete lines it carried, for the log. */
  push(e: BuildEvent): string[] {
    if (e.aux?.ID) this.#imageId = e.aux.ID;
    if (e.error || e.errorDetail?.message) {
      this.#error = (e.errorDetail?.message ?? e.error ?? '').trim();
      return [`error: ${this.#error}`];
    }
    const text = e.stream ?? (e.status ? `${e.status}${e.progress ? ` ${e.progress}` : ''}\n` : '');
    if (!text) return [];
    const lines = (this.#partial + text).split('\n');
    this.#partial = lines.pop() ?? '';
    const out: string[] = [];
    for (const raw of lines) {
      // The daemon colours RUN's stderr with ANSI escapes; logs and error messages want plain text.
      const line = raw.replace(/\r$/, '').replace(/\x1b\[[0-9;]*m/g, '');
      const step = /^Step (\d+)\/(\d+) : (.*)$/.exec(line);
      if (step) {
        this.#current = { index: Number(step[1]), total: Number(step[2]), instruction: step[3] ?? '' };
        this.#stepLines = [];
      } else {
        this.#stepLines.push(line);
        if (this.#stepLines.length > 200) this.#stepLines.shift();
      }
      const built = /^Successfully built ([0-9a-f]{12,64})$/.exec(line);
      if (built && !this.#imageId) this.#imageId = built[1];
      out.push(line);
    }
    return out;
  }

  get step(): StepInfo | undefined {
    return this.#current;
  }

  get imageId(): string | undefined {
    return this.#imageId;
  }

  get error(): string | undefined {
    return this.#error;
  }

  /** What the failing step printed before it failed (the last lines, without the "--->" noise). */
  stepOutput(maxLines = 40): string[] {
    const lines = [...this.#stepLines, ...(this.#partial ? [this.#partial] : [])].filter(
      (l) => !/^ ---> /.test(l) && !/^Removing intermediate container /.test(l) && l.trim() !== '',
    );
    return lines.slice(-maxLines);
  }
}

/**
 * 1-based line of the n-th instruction (1-based) in a Dockerfile, counting as the builder does:
 * comments, blank lines and parser directives are not instructions, and a line ending in the
 * escape character continues onto the next.
 */
export function instructionLine(dockerfileText: string, n: number): number | undefined {
  const lines = dockerfileText.split(/\r?\n/);
  let escape = '\\';
  let count = 0;
  let inDirectives = true;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (inDirectives) {
      const d = /^#\s*escape\s*=\s*(\S)\s*$/i.exec(line);
      if (d) {
        escape = d[1] ?? escape;
        continue;
      }
      if (/^#\s*\w+\s*=/.test(line)) continue;
      inDirectives = false;
    }
    if (line === '' || line.startsWith('#')) continue;
    count++;
    if (count === n) return i + 1;
    // Skip continuation lines of this instruction (comment lines inside it do not end it).
    let cur = line;
    while (cur.endsWith(escape) && i + 1 < lines.length) {
      i++;
      cur = (lines[i] ?? '').trim();
      while (cur.startsWith('#') && i + 1 < lines.length) {
        i++;
        cur = (lines[i] ?? '').trim();
      }
    }
  }
  return undefined;
}
