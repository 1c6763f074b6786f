-- DELIBERATELY NOT IDEMPOTENT (the demo shows Greenlight catching it): every run raises prices
-- again. A safe version sets a constant, or records that the change was made and checks first.
UPDATE items SET price_cents = price_cents + 100;
