-- Lookups by name. IF NOT EXISTS makes a second run a no-op.
CREATE INDEX IF NOT EXISTS items_name_idx ON items (name);
