-- slipway:no-transaction
CREATE INDEX CONCURRENTLY t1_id ON t1 (id;
