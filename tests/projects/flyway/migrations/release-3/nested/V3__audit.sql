CREATE TABLE audit (id bigserial PRIMARY KEY, what text);
INSERT INTO audit (what) SELECT 'order ' || id FROM orders;
