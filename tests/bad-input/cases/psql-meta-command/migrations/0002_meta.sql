-- pg_dump output edited by hand
\connect other_db
CREATE TABLE t2 (id int);
