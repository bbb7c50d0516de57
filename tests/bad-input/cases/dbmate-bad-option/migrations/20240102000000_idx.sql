-- migrate:up transaction:off
CREATE INDEX CONCURRENTLY i ON t1 (id);
