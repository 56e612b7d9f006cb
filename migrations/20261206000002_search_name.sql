-- The folded name, as the search compares it (lowercase, accents folded, every run of
-- punctuation a single space, none at the ends), stored: the full-text arm's "whole name is the query" test and
-- the trigram arm read it per candidate row, and folding it there (unaccent and a regexp per
-- row) was most of their time at 100k products (`vitrine-tools bench text-search`).
ALTER TABLE products ADD COLUMN search_name text
    GENERATED ALWAYS AS (btrim(regexp_replace(search_fold(name), '[^[:alnum:]]+', ' ', 'g'))) STORED;

-- GIN, not GiST: the trigram arm filters (`%>`) and then sorts its few matches, and at 100k
-- names a GiST scan visited most of its 48 MiB per query (15–90 ms) where GIN answers in 1–4 ms.
-- Ordering by distance from the index (GiST's one advantage) is not needed for a capped set.
DROP INDEX products_folded_name_trgm_idx;
CREATE INDEX products_search_name_trgm_idx ON products USING gin (search_name gin_trgm_ops);
