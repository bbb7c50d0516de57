-- How to write a migration: see CONTRIBUTING.md
DROP TABLE users;
