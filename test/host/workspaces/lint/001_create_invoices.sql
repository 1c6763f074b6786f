-- Two statements fail on a second run; the first one is guarded.
CREATE TABLE IF NOT EXISTS customers (id bigint PRIMARY KEY);

CREATE TABLE invoices (
  id bigint PRIMARY KEY,
  customer_id bigint NOT NULL
);

DO $$
BEGIN
  CREATE INDEX invoices_customer_idx ON invoices (customer_id);
END
$$;

    INSERT INTO customers (id) VALUES (1);
