-- Release 2, an "expand" step: only additions, so release 1 keeps working on this schema
-- (the rolling update runs both side by side, and a rollback runs release 1 on it).
ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new';

-- A PL/pgSQL body is dollar-quoted: the semicolons inside it do not end the statement.
CREATE FUNCTION customer_total_cents(p_customer text) RETURNS bigint
LANGUAGE plpgsql STABLE AS $body$
DECLARE
    total bigint;
BEGIN
    SELECT coalesce(sum(total_cents), 0) INTO total
      FROM orders
     WHERE customer = p_customer AND status <> 'cancelled';
    RETURN total;
END;
$body$;

INSERT INTO orders (customer, total_cents, status)
VALUES ('demo; not a statement break', 1250, 'new');
