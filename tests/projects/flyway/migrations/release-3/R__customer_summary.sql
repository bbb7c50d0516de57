-- Recreated by Flyway whenever this file changes, after the versioned migrations.
CREATE OR REPLACE VIEW customer_summary AS
SELECT c.name, count(o.id) AS orders, coalesce(sum(o.total), 0) AS total
FROM customer c LEFT JOIN orders o ON o.customer_id = c.id
GROUP BY c.name;
