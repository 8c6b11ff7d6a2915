-- expect: none
-- why: Locking a table created in this migration blocks nobody.
CREATE TABLE import_batches (id int);
LOCK TABLE import_batches IN ACCESS EXCLUSIVE MODE;
