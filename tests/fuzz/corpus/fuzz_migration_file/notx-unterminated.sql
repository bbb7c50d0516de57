-- slipway:no-transaction
DO $$ BEGIN
