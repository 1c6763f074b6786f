-- Demo seed data. ON CONFLICT on the unique sku keeps a second run from duplicating rows.
INSERT INTO items (name, sku) VALUES
  ('Green tea', 'tea-green'),
  ('Black tea', 'tea-black')
ON CONFLICT (sku) DO NOTHING;
