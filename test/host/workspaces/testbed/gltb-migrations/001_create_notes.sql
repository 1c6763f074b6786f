CREATE TABLE IF NOT EXISTS gltb_notes (id bigint PRIMARY KEY, body text NOT NULL);
