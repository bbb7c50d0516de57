-- slipway:no-transaction
-- CREATE INDEX CONCURRENTLY does not block writes to orders, but cannot run inside a
-- transaction: the marker above makes slipway run this file statement by statement and record
-- its progress after each one, so a failed run resumes at the statement that failed.
-- If a CONCURRENTLY build fails, PostgreSQL leaves an INVALID index behind: drop it with
-- DROP INDEX CONCURRENTLY before running the upgrade again.
CREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer);
CREATE INDEX CONCURRENTLY orders_created_at_idx ON orders (created_at);
