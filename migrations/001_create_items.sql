-- The demo web service stores items (see demo/web/app/server.js). Safe to run again.
CREATE TABLE IF NOT EXISTS items (
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
