// The linter with every built-in language. One line per language; languages own their rules.
import { Linter, type AnyLanguage } from './engine';
import { sqlLanguage } from './languages/sql';
import { aqlLanguage } from './languages/aql';
import { arangoJsonLanguage } from './languages/arangoJson';
import { rubyLanguage } from './languages/ruby';
import { railsMigrationLanguage } from './languages/railsMigration';
import { pythonLanguage } from './languages/python';
import { arangoJsLanguage } from './languages/arangoJs';

export function builtInLanguages(): AnyLanguage[] {
  return [
    sqlLanguage(),
    aqlLanguage as AnyLanguage,
    arangoJsonLanguage as AnyLanguage,
    // Before the seed language: a migration named *seed*.rb under db/migrate is a migration.
    railsMigrationLanguage as AnyLanguage,
    rubyLanguage as AnyLanguage,
    pythonLanguage as AnyLanguage,
    arangoJsLanguage as AnyLanguage,
  ];
}

export function createDefaultLinter(): Linter {
  return new Linter(builtInLanguages());
}
