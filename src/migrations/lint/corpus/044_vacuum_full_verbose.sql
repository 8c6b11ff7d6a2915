-- expect: vacuum-full
-- why: Parenthesised options: FULL is still FULL.
VACUUM (FULL, VERBOSE) events;
