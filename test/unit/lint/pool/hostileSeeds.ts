// Ruby seeds that make prism (WASM) run forever: the inputs of issue 14's hang reports.
/** 160 lines of `begin` in a Rails seed (960 bytes): prism never returns on it. */
export const BEGIN_SEED = 'begin\n'.repeat(160);
/** 170 nested `do … end` blocks: prism never returns on them either. */
export const NESTED_DO_SEED = Array.from({ length: 170 }, (_, i) => `${'  '.repeat(i)}[1].each do |x${i}|\n`).join('') + Array.from({ length: 170 }, (_, i) => `${'  '.repeat(169 - i)}end\n`).join('');
