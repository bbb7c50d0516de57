ALTER TABLE customer ADD COLUMN status text;
