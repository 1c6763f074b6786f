// Rails seed files (db/seeds.rb, db/seeds/**/*.rb, any *seed*.rb), parsed with @ruby/prism.
// Suppressions use `#` comments.
import type { Language } from '../types';
import { parseRuby, type RubyUnit } from '../ruby/prism';
import { seedUnguardedCreate } from '../rules/seed/seedUnguardedCreate';
import { seedNewSave } from '../rules/seed/seedNewSave';
import { seedInsertAllWithoutUniqueBy } from '../rules/seed/seedInsertAllWithoutUniqueBy';
import { seedUpsertWithoutUniqueBy } from '../rules/seed/seedUpsertWithoutUniqueBy';
import { seedDeleteAll } from '../rules/seed/seedDeleteAll';
import { seedRandomLookupKey } from '../rules/seed/seedRandomLookupKey';
import { seedRandomValueWritten } from '../rules/seed/seedRandomValueWritten';

export const rubyLanguage: Language<RubyUnit> = {
  id: 'ruby',
  lineComment: '#',
  matches: (file) => /\.rb$/i.test(file) && (/(^|[\\/])seeds?([\\/])/i.test(file) || /seed[^\\/]*\.rb$/i.test(file)),
  parse: (text, file) => parseRuby(text, file),
  rules: [seedUnguardedCreate, seedNewSave, seedInsertAllWithoutUniqueBy, seedUpsertWithoutUniqueBy, seedDeleteAll, seedRandomLookupKey, seedRandomValueWritten],
};
