-- migrate:up
CREATE TABLE t1 (id int);
-- migrate:down
DROP TABLE t1;
