-- migrate:up transaction:false
CREATE INDEX CONCURRENTLY i ON t (x);
-- migrate:down
DROP INDEX i;
