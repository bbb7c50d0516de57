-- slipway:no-transaction
CREATE INDEX CONCURRENTLY i ON t (x);
CREATE INDEX CONCURRENTLY j ON t (y);
