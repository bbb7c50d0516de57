-- slipway:no-transaction
CREATE INDEX CONCURRENTLY t1_id ON t1 (id);
CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$
BEGIN RETURN 1; END
$bdy$;
