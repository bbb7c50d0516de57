-- migrate:up
CREATE TABLE sessions (
    id bigserial PRIMARY KEY,
    user_id int NOT NULL REFERENCES users (id),
    token text NOT NULL
);
INSERT INTO sessions (user_id, token) SELECT id, md5(login) FROM users;

-- migrate:down
DROP TABLE sessions;
