CREATE INDEX CONCURRENTLY IF NOT EXISTS items_name_idx ON items (name);
