SELECT 'a;b', E'c\';d', "e;f";
SELECT 1 -- x;
;
