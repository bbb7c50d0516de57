CREATE TABLE early (id int);
-- migrate:up
CREATE TABLE users (id int);
