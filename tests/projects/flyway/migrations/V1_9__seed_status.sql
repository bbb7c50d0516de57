UPDATE customer SET status = 'seeded';
