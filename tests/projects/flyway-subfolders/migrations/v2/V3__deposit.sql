UPDATE accounts SET balance = balance + 100;
