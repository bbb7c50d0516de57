-- Initial schema
CREATE TABLE customer (
    id bigserial PRIMARY KEY,
    name text NOT NULL
);
INSERT INTO customer (name) VALUES ('Ada'), ('Grace');
