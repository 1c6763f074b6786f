-- The table /healthz reads: a first deploy onto an empty database must create it before start.
CREATE TABLE IF NOT EXISTS greetings (
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
