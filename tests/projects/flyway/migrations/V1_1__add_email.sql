ALTER TABLE customer ADD COLUMN email text;
UPDATE customer SET email = lower(name) || '@example.org';
