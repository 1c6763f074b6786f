-- A stock-keeping unit per item, unique when present. Both statements are guarded.
ALTER TABLE items ADD COLUMN IF NOT EXISTS sku text;
CREATE UNIQUE INDEX IF NOT EXISTS items_sku_key ON items (sku);
