/*
 * Build the price index without locking writes.
 */
-- Reviewed-by: ops
-- slipway:no-transaction
CREATE INDEX CONCURRENTLY IF NOT EXISTS items_price_idx ON items (price);
CREATE INDEX CONCURRENTLY IF NOT EXISTS items_lower_name_idx ON items (lower(name));
