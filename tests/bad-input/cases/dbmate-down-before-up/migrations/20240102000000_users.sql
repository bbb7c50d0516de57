-- migrate:down
DROP TABLE users;
-- migrate:up
CREATE TABLE users (id int);
