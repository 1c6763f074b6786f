// One updating line for long transfers on a terminal (ship, export, backup download): what moves,
// how many bytes of how many, the rate and the time left. cli-progress draws and redraws the line
// (throttled, clipped to the terminal's width, cursor handling); this file only says what the line
// shows. Off a terminal nothing here runs: logs get one line per tenth instead (see io.ts).
import { SingleBar } from 'cli-progress';

export interface TransferLine {
  /** Shows `label` at `done` of `total` bytes (total unknown: no bar, no ETA). */
  update(label: string, done: number, total?: number): void;
  /** Leaves the last state on its line and moves below it; the next update starts a new line. */
  end(): void;
}

export function formatBytes(n: number): string {
  if (n < 1e3) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (x: number): string => String(x).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/** The text of the line: label, bar, bytes, rate and ETA. Pure, so it is tested on its own. */
export function transferText(label: string, done: number, total: number | undefined, elapsedMs: number, width = 24): string {
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  const rateText = `${formatBytes(Math.round(rate))}/s`;
  if (total === undefined || total <= 0) return `${label}  ${formatBytes(done)}  ${rateText}`;
  const fraction = Math.min(1, done / total);
  const filled = Math.round(fraction * width);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  const eta = done >= total ? 'done' : rate > 0 ? `ETA ${formatDuration((total - done) / rate)}` : 'ETA --:--';
  return `${label} ${bar} ${String(Math.floor(fraction * 100)).padStart(3)}%  ${formatBytes(done)} / ${formatBytes(total)}  ${rateText}  ${eta}`;
}

/** A transfer line on a terminal stream (stderr), drawn by cli-progress. */
export function transferLine(stream: NodeJS.WritableStream, now: () => number = Date.now): TransferLine {
  let bar: SingleBar | undefined;
  let label = '';
  let started = 0;
  let known: number | undefined;
  const start = (l: string, total?: number): SingleBar => {
    label = l;
    started = now();
    known = total;
    const b = new SingleBar({
      stream,
      fps: 8,
      // The cursor stays visible: a process killed mid-transfer must not leave the terminal without one.
      hideCursor: false,
      linewrap: false,
      clearOnComplete: false,
      format: (_options, params, payload: { label: string; total?: number }) => transferText(payload.label, params.value, payload.total, now() - started),
    });
    b.start(total ?? Number.MAX_SAFE_INTEGER, 0, { label: l, total });
    return b;
  };
  return {
    update(l, done, total) {
      if (!bar || l !== label || total !== known) {
        bar?.stop();
        bar = start(l, total);
      }
      bar.update(done, { label: l, total });
    },
    end() {
      bar?.stop();
      bar = undefined;
    },
  };
}
