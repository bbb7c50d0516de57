ALTER TABLE items ADD COLUMN price numeric(10, 2) NOT NULL DEFAULT 0;
UPDATE items SET price = length(name);
CREATE TYPE item_kind AS ENUM ('part');
ALTER TABLE items ADD COLUMN kind item_kind NOT NULL DEFAULT 'part';
