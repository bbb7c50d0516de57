-- migrate:up
-- nothing here yet

-- migrate:down
