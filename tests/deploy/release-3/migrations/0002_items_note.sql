-- Release 2, an expand migration: a nullable column that release 2's app writes and reads.
-- Release 1's app names its columns, so it keeps working on this schema (and can be rolled
-- back to); release 2's app fails on release 1's schema.
ALTER TABLE items ADD COLUMN note text;
