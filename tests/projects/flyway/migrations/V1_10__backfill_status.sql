-- 1.10 comes after 1.9 (and after 1.2, whose column it needs): versions compare as numbers.
UPDATE customer SET status = status || '+backfilled';
