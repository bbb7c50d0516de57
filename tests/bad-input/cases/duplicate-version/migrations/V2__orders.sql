CREATE TABLE orders2 (id int);
