// The linter with every built-in language. One line per language; languages own their rules.
import { Linter, type AnyLanguage } from './engine';
import { sqlLanguage } from './languages/sql';

export function builtInLanguages(): AnyLanguage[] {
  return [sqlLanguage()];
}

export function createDefaultLinter(): Linter {
  return new Linter(builtInLanguages());
}
