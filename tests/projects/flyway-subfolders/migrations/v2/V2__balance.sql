ALTER TABLE accounts ADD COLUMN balance numeric NOT NULL DEFAULT 0;
