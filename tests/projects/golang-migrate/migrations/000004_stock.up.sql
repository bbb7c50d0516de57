-- Stock levels per item.
-- morph:nontransactional
CREATE TABLE IF NOT EXISTS stock (item_id int PRIMARY KEY REFERENCES items (id), qty int NOT NULL);
CREATE INDEX CONCURRENTLY IF NOT EXISTS stock_qty_idx ON stock (qty);
INSERT INTO stock SELECT id, 100 FROM items;
