/*
 * A new enum value, used at once: PostgreSQL refuses that inside one transaction
 * ("unsafe use of new value"), so this file runs statement by statement.
 */
-- slipway:no-transaction
ALTER TYPE item_kind ADD VALUE 'spare';
UPDATE items SET kind = 'spare' WHERE name = 'washer';
