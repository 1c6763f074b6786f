// Offset ↔ line/column conversion, built once per text so every finding costs a binary search.
import type { Position } from './types';

export class LineIndex {
  readonly #starts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.#starts.push(i + 1);
  }

  position(offset: number): Position {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.#starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#starts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: o - this.#starts[lo]! + 1 };
  }

  offset(pos: Position): number {
    const start = this.#starts[Math.max(0, Math.min(pos.line - 1, this.#starts.length - 1))]!;
    return Math.min(this.text.length, start + pos.column - 1);
  }
}
