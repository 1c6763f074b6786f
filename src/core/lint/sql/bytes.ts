// libpg-query reports positions as UTF-8 byte offsets into the text it was given; the engine works
// in UTF-16 offsets (JavaScript string indices). This table converts one to the other.

export class ByteOffsets {
  /** For non-ASCII text: utf16[byte] = the string index at that byte; undefined when identical. */
  readonly #utf16: Int32Array | undefined;
  readonly #length: number;

  constructor(text: string) {
    this.#length = text.length;
    let ascii = true;
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      this.#utf16 = undefined;
      return;
    }
    const bytes = Buffer.byteLength(text, 'utf8');
    const table = new Int32Array(bytes + 1);
    let b = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      let n: number;
      if (c < 0x80) n = 1;
      else if (c < 0x800) n = 2;
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        // A surrogate pair is four bytes and two string indices.
        for (let k = 0; k < 4; k++) table[b + k] = i;
        b += 4;
        i++;
        continue;
      } else n = 3;
      for (let k = 0; k < n; k++) table[b + k] = i;
      b += n;
    }
    table[bytes] = text.length;
    this.#utf16 = table;
  }

  toIndex(byte: number): number {
    if (byte < 0) return 0;
    if (!this.#utf16) return Math.min(byte, this.#length);
    return this.#utf16[Math.min(byte, this.#utf16.length - 1)]!;
  }
}
