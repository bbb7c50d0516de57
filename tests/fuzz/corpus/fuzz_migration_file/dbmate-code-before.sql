SELECT 1;
-- migrate:up
SELECT 2;
