-- migrate:up
CREATE TABLE users (
    id serial PRIMARY KEY,
    login text NOT NULL UNIQUE
);
INSERT INTO users (login) VALUES ('ada'), ('grace');

-- migrate:down
DROP TABLE users;
