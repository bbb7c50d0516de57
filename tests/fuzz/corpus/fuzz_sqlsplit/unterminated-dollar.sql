SELECT $unterminated$ abc;
