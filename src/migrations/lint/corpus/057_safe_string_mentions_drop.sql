-- expect: none
-- why: A string literal holding SQL is a string to the parser.
INSERT INTO audit_notes (body) VALUES ('ALTER TABLE users DROP COLUMN email; TRUNCATE orders;');
