-- The shop's products. Created and filled in one migration: a new table locks nobody out.
CREATE TABLE products (
  id integer PRIMARY KEY,
  name text NOT NULL,
  price numeric(10, 2) NOT NULL,
  note text
);
INSERT INTO products (id, name, price, note) VALUES (1, 'Anchor', 12, 'heavy'), (2, 'Rope', 4, NULL);
