/* a /* nested; */ comment */ SELECT 1;
-- only comment
SELECT 2