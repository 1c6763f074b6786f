# Seeds: the first create runs again on every seed; the second is guarded.
User.create!(email: "admin@example.com", role: "admin")
Role.find_or_create_by!(name: "admin")
