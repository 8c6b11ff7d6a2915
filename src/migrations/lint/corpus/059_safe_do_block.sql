-- expect: none
-- why: A DO block's body is a string too.
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'mood') THEN
    CREATE TYPE mood AS ENUM ('ok', 'sad');
  END IF;
END $$;
