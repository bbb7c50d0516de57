-- migrate:up
CREATE TABLE t (x int);

-- migrate:down
DROP TABLE t;
