-- expect: add-unique-constraint
-- why: ADD PRIMARY KEY builds its index under ACCESS EXCLUSIVE.
ALTER TABLE legacy_imports ADD PRIMARY KEY (id);
