-- expect: none
-- why: Function bodies are strings to the parser: statements inside are not top-level and do not run now.
CREATE OR REPLACE FUNCTION purge_sessions() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE sessions;
  DROP TABLE IF EXISTS tmp_sessions;
END;
$$;
