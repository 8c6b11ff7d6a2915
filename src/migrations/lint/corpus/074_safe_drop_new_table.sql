-- expect: none
-- why: Dropping a table created earlier in the same migration breaks nobody.
CREATE TABLE tmp_import (id int);
DROP TABLE tmp_import;
