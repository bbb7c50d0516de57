-- migrate:up
    ALTER TABLE users ADD COLUMN email text;
    UPDATE users SET email = login || '@example.org';

    -- migrate:down
    ALTER TABLE users DROP COLUMN email;
