-- slipway:contract
-- Release 3, a contract migration: every row gets a note and new rows must have one. Release 1's
-- app inserts rows without a note, so this runs only once no release-1 replica is alive (its
-- floor is 2, the version before it); release 2's and 3's apps always write one.
UPDATE items SET note = 'release 1' WHERE note IS NULL;
ALTER TABLE items ALTER COLUMN note SET NOT NULL;
