-- drop b
-- slipway:contract floor:1
ALTER TABLE t DROP COLUMN b;
