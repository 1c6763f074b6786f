// Shared by the benchmarks: each one owns a section of docs/benchmarks.md between
// `<!-- bench:<id> -->` and `<!-- /bench:<id> -->` and rewrites only that section.

/** Replaces (or appends) the section `id` of a benchmarks document. */
export function replaceSection(doc: string, id: string, body: string): string {
  const start = `<!-- bench:${id} -->`;
  const end = `<!-- /bench:${id} -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i >= 0 && j > i) return doc.slice(0, i) + block + doc.slice(j + end.length);
  return `${doc.trimEnd()}\n\n${block}\n`;
}

/** The middle value (the upper one of the two middles for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
