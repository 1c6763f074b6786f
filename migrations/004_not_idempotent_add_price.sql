-- DELIBERATELY NOT IDEMPOTENT (the demo shows Greenlight catching it): a second run fails with
-- "column price_cents of relation items already exists". The fix is ADD COLUMN IF NOT EXISTS.
ALTER TABLE items ADD COLUMN price_cents integer NOT NULL DEFAULT 0;
