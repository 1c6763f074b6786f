// The linter with every built-in language. One line per language; languages own their rules.
import { Linter, type AnyLanguage } from './engine';

export function builtInLanguages(): AnyLanguage[] {
  return [];
}

export function createDefaultLinter(): Linter {
  return new Linter(builtInLanguages());
}
