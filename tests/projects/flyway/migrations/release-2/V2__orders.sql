CREATE TABLE orders (
    id bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customer (id),
    total numeric(12, 2) NOT NULL
);
INSERT INTO orders (customer_id, total) SELECT id, 10 * id FROM customer;
