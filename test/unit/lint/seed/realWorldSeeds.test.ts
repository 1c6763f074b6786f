// Seed idioms from the real-world corpus (scripts/bench/accuracy.ts): guards that are not
// existence checks, existence checks hidden in a variable or a helper method, create services,
// and random values written to records that already exist.
import { createDefaultLinter } from '../../../../src/core/lint/defaultLinter';
import { ruleTester } from '../ruleTester';

const linter = createDefaultLinter();
const F = 'db/seeds/development/teams.seeds.rb';

suite('(unit) lint seed rules on real-world idioms', () => {
  ruleTester('seed-unguarded-create', { linter, file: F,
    valid: [
      // The query result in a variable is the existence check.
      'timeline_event = TimelineEvent.joins(:feedback).group(:id).having("count(feedback.id) > 1").first\nunless timeline_event\n  Feedback.create!(note: "later")\nend',
      'sub = customer.subscriptions.find_by(external_id: "s1")\nunless sub\n  sub = Subscriptions::CreateService.call!(customer: customer)\nend',
      // A helper method of the file that queries.
      'def log_exists?(kind)\n  ActivityLog.where(kind: kind).exists?\nend\nActivityLog.create!(kind: "sent") unless log_exists?("sent")',
      'return if User.any?\nUser.create!(email: "a@example.com")',
      'if Invoice.count.zero?\n  Invoice.create!(number: 1)\nend',
      'Tax.exists?(code: "fr") || Taxes::CreateService.call!(code: "fr")',
    ],
    invalid: [
      // A threshold on other data is not an existence check.
      { code: 'Cohort.all.each do |cohort|\n  next if cohort.students.count < 4\n  Team.create!(cohort: cohort, name: "A")\nend', errors: [{ line: 3, column: 3, message: /Team\.create!/ }] },
      // raise/exit when the data is MISSING asserts; it guards nothing on a rerun.
      { code: 'raise "DocMethods not saved" if DocMethod.count.zero?\nLabel.create!(name: "hacktoberfest")', errors: [{ line: 2, column: 1 }] },
      { code: 'return unless User.exists?\nUser.create!(email: "a@example.com")', errors: [{ line: 2, column: 1 }] },
      // Creating where the condition says the rows are there.
      { code: 'if User.any?\n  User.create!(email: "a@example.com")\nend', errors: [{ line: 2, column: 3 }] },
      // A create service, unguarded.
      { code: 'Invoices::CreateOneOffService.call!(customer: john, fees: [])', errors: [{ line: 1, column: 1, message: /create service/ }] },
      { code: 'unless License.premium?\n  CreditNotes::CreateService.call!(invoice: inv)\nend', errors: [{ line: 2, column: 3, message: /create service/ }] },
    ],
  });

  ruleTester('seed-random-value-written', { linter, file: F,
    valid: [
      'User.find_or_create_by!(email: "a@example.com") do |u|\n  u.password = SecureRandom.hex(12)\nend',
      'user = User.find_or_initialize_by(email: "a@example.com")\nuser.password = ENV.fetch("ADMIN_PASSWORD", "demo")\nuser.save!',
      'user = User.new(email: "a@example.com")\nuser.password = SecureRandom.hex\nuser.save!',
      // Written but never saved: nothing reaches the database.
      'user = User.find_by(email: "a@example.com")\nuser.password = SecureRandom.hex',
      'school = School.first\nschool.update!(name: "Test School")',
    ],
    invalid: [
      {
        code: 'def admin_pass\n  @admin_pass ||= ENV["ADMIN_PASSWORD"] || SecureRandom.urlsafe_base64(12)\nend\nuser = User.find_or_initialize_by(email: "admin@example.com")\nuser.password = admin_pass\nuser.save!',
        errors: [{ line: 5, column: 1, message: /SecureRandom \(through admin_pass\)/ }],
      },
      {
        code: 'School.all.each do |school|\n  tags = (1..10).map { Faker::Lorem.words(number: 2).join(" ") }\n  school.student_tag_list = tags\n  school.save!\nend',
        errors: [{ line: 3, column: 3, message: /Faker/ }],
      },
      { code: 'user = User.find_by!(email: "a@example.com")\nuser.update!(api_token: SecureRandom.hex(20))', errors: [{ line: 2, column: 1 }] },
    ],
  });
});
