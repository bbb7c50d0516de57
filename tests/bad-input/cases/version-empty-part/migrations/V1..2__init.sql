CREATE TABLE init (id int);
