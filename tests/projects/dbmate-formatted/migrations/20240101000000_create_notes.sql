-- migrate:up
CREATE TABLE notes (id int PRIMARY KEY, body text);

-- migrate:down
DROP TABLE notes;
