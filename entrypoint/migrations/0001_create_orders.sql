-- Release 1: the orders table. Each migration runs in one transaction together with its
-- history row, so it is applied completely or not at all.
CREATE TABLE orders (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer    text        NOT NULL,
    total_cents integer     NOT NULL CHECK (total_cents >= 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE orders IS 'orders; see /app/migrations in the slipway image';
