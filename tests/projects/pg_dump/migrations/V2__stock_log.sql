-- Runs after the baseline, whose set_config('search_path', '', false) must not leak into it:
-- an unqualified CREATE TABLE needs the default search_path.
CREATE TABLE stock_log (product_id int, qty int);
INSERT INTO stock_log SELECT id, length(name) FROM shop.product;
