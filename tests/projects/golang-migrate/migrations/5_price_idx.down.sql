DROP INDEX IF EXISTS items_price_idx;
