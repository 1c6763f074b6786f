// A JSON parser that keeps offsets, for ArangoDB schema-migration files. It accepts `//` and
// `/* */` comments (as tsconfig.json does) so that suppression comments can be written, and it keeps,
// for every string, where each decoded character came from — so AQL inside a "query" string can be
// linted with positions mapped back into the file.
import type { CommentSpan, Span } from '../types';

export type JsonValue = JsonObject | JsonArray | JsonString | JsonScalar;

export interface JsonObject extends Span {
  readonly kind: 'object';
  readonly entries: { readonly key: JsonString; readonly value: JsonValue }[];
}
export interface JsonArray extends Span {
  readonly kind: 'array';
  readonly items: JsonValue[];
}
export interface JsonString extends Span {
  readonly kind: 'string';
  readonly value: string;
  /** offsets[i] is the source offset of decoded character i (length = value.length + 1). */
  readonly offsets: readonly number[];
}
export interface JsonScalar extends Span {
  readonly kind: 'number' | 'boolean' | 'null';
  readonly value: number | boolean | null;
}

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly start: number,
    readonly end: number,
  ) {
    super(message);
  }
}

export function parseJsonWithOffsets(text: string): { value: JsonValue; comments: CommentSpan[] } {
  const comments: CommentSpan[] = [];
  let i = 0;
  const n = text.length;
  const fail = (message: string, at = i, len = 1): never => {
    throw new JsonSyntaxError(message, Math.min(at, n), Math.min(at + len, Math.max(n, at)));
  };
  const skip = (): void => {
    while (i < n) {
      const c = text[i]!;
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\ufeff') i++;
      else if (c === '/' && text[i + 1] === '/') {
        const e = text.indexOf('\n', i);
        const stop = e < 0 ? n : e;
        comments.push({ start: i, end: stop, body: text.slice(i + 2, stop) });
        i = stop;
      } else if (c === '/' && text[i + 1] === '*') {
        const e = text.indexOf('*/', i + 2);
        if (e < 0) fail('unterminated /* comment', i, 2);
        comments.push({ start: i, end: e + 2, body: text.slice(i + 2, e) });
        i = e + 2;
      } else break;
    }
  };
  const describe = (): string => (i >= n ? 'the end of the file' : JSON.stringify(text[i]));
  const str = (): JsonString => {
    const start = i;
    i++;
    let value = '';
    const offsets: number[] = [];
    for (;;) {
      if (i >= n || text[i] === '\n') fail('unterminated string', start);
      const c = text[i]!;
      if (c === '"') break;
      if (c === '\\') {
        const e = text[i + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && e in simple) {
          offsets.push(i);
          value += simple[e];
          i += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          offsets.push(i);
          value += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else fail(`invalid escape \\${e ?? ''} in string`, i, 2);
        continue;
      }
      if (c.charCodeAt(0) < 0x20) fail('control character in string', i);
      offsets.push(i);
      value += c;
      i++;
    }
    offsets.push(i);
    i++;
    return { kind: 'string', value, offsets, start, end: i };
  };
  const val = (depth: number): JsonValue => {
    if (depth > 500) fail('nesting is too deep');
    skip();
    const start = i;
    const c = text[i];
    if (c === '{') {
      i++;
      const entries: JsonObject['entries'] = [];
      skip();
      if (text[i] === '}') {
        i++;
        return { kind: 'object', entries, start, end: i };
      }
      for (;;) {
        skip();
        if (text[i] !== '"') fail(`expected a property name in double quotes, found ${describe()}`);
        const key = str();
        skip();
        if (text[i] !== ':') fail(`expected ":" after property name, found ${describe()}`);
        i++;
        entries.push({ key, value: val(depth + 1) });
        skip();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return { kind: 'object', entries, start, end: i };
        }
        fail(`expected "," or "}" in object, found ${describe()}`);
      }
    }
    if (c === '[') {
      i++;
      const items: JsonValue[] = [];
      skip();
      if (text[i] === ']') {
        i++;
        return { kind: 'array', items, start, end: i };
      }
      for (;;) {
        items.push(val(depth + 1));
        skip();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return { kind: 'array', items, start, end: i };
        }
        fail(`expected "," or "]" in array, found ${describe()}`);
      }
    }
    if (c === '"') return str();
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (m && m[0].length && m[0] !== '-') {
      i += m[0].length;
      return { kind: 'number', value: Number(m[0]), start, end: i };
    }
    for (const [word, value] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return { kind: value === null ? 'null' : 'boolean', value, start, end: i };
      }
    }
    return fail(`expected a JSON value, found ${describe()}`);
  };
  const value = val(0);
  skip();
  if (i < n) fail(`unexpected ${describe()} after the JSON value`);
  return { value, comments };
}

export function member(obj: JsonObject, key: string): JsonValue | undefined {
  return obj.entries.find((e) => e.key.value === key)?.value;
}
