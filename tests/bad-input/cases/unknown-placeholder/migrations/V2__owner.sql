CREATE TABLE t2 (owner text DEFAULT '${owner}');
