-- Text search: a weighted full-text document per product, kept current by triggers (so a
-- product added or renamed is findable at once, with no reindex), accent folding, a GiST
-- trigram index on the folded name (GIN only filters; ordering by distance needs GiST), and
-- the catalog's own word list for typo correction and "did you mean".
CREATE EXTENSION IF NOT EXISTS unaccent;

-- unaccent() is only STABLE (it looks its dictionary up on the search path); naming the
-- dictionary makes the result depend on the argument alone, so it may be indexed.
CREATE FUNCTION search_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN lower(public.unaccent('public.unaccent'::regdictionary, $1));

-- Names and SKUs by the `simple` configuration (every word as written, folded), the names
-- again and the rest with `english` stems: "shoes" finds "shoe", "Café" finds "cafe".
-- Weights: A the name and SKUs, B the category and its parents, C attributes, D description.
CREATE FUNCTION product_search_document(product uuid) RETURNS tsvector
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (
        WITH RECURSIVE p AS (SELECT * FROM products WHERE id = product),
        path AS (
            SELECT c.id, c.parent_id, c.name FROM categories c JOIN p ON c.id = p.category_id
            UNION ALL
            SELECT c.id, c.parent_id, c.name FROM categories c JOIN path ON c.id = path.parent_id
        )
        SELECT setweight(to_tsvector('simple', search_fold(p.name)), 'A')
            || setweight(to_tsvector('english', search_fold(p.name)), 'A')
            || setweight(to_tsvector('simple', search_fold(coalesce(
                   (SELECT string_agg(v.sku, ' ') FROM product_variants v WHERE v.product_id = p.id),
                   ''))), 'A')
            || setweight(to_tsvector('english', search_fold(coalesce(
                   (SELECT string_agg(name, ' ') FROM path), ''))), 'B')
            || setweight(to_tsvector('english', search_fold(coalesce(
                   (SELECT string_agg(value, ' ') FROM jsonb_each_text(p.attributes)), ''))), 'C')
            || setweight(to_tsvector('english', search_fold(p.description)), 'D')
        FROM p
    );

ALTER TABLE products ADD COLUMN search_document tsvector NOT NULL DEFAULT ''::tsvector;
CREATE INDEX products_search_document_idx ON products USING gin (search_document);
CREATE INDEX products_folded_name_trgm_idx ON products USING gist (search_fold(name) gist_trgm_ops);
DROP INDEX products_name_trgm_idx;

-- Every word of the published products' names and categories, folded, with how many
-- products use it: typo correction picks among these, the most used first.
CREATE TABLE search_words (
    word     text PRIMARY KEY,
    products integer NOT NULL CHECK (products >= 0)
);
CREATE INDEX search_words_trgm_idx ON search_words USING gist (word gist_trgm_ops);
-- Prefixes of any length (1–2 letters have no trigrams).
CREATE INDEX search_words_prefix_idx ON search_words (word text_pattern_ops);

-- The words a product named `name` in `category` contributes: its name's and its categories'.
CREATE FUNCTION search_words_of(name text, category uuid) RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
        WITH RECURSIVE path AS (
            SELECT c.id, c.parent_id, c.name FROM categories c WHERE c.id = category
            UNION ALL
            SELECT c.id, c.parent_id, c.name FROM categories c JOIN path ON c.id = path.parent_id
        )
        SELECT coalesce(array_agg(DISTINCT word), '{}') FROM (
            SELECT regexp_split_to_table(search_fold(name), '[^[:alnum:]]+')
            UNION ALL
            SELECT regexp_split_to_table(search_fold(path.name), '[^[:alnum:]]+') FROM path
        ) words (word)
        WHERE word <> ''
    $$;

-- Moves a product's words in the word list from `old_words` to `new_words`.
CREATE FUNCTION move_search_words(old_words text[], new_words text[]) RETURNS void
    LANGUAGE sql AS $$
        UPDATE search_words SET products = products - 1
        WHERE word = ANY (old_words) AND NOT word = ANY (new_words);
        DELETE FROM search_words WHERE products = 0;
        INSERT INTO search_words (word, products)
        SELECT w, 1 FROM unnest(new_words) w WHERE NOT w = ANY (old_words)
        ON CONFLICT (word) DO UPDATE SET products = search_words.products + 1;
    $$;

CREATE FUNCTION products_search_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        old_words text[] := '{}';
        new_words text[] := '{}';
    BEGIN
        IF TG_OP <> 'INSERT' AND OLD.published THEN
            old_words := search_words_of(OLD.name, OLD.category_id);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            IF NEW.published THEN
                new_words := search_words_of(NEW.name, NEW.category_id);
            END IF;
            UPDATE products SET search_document = product_search_document(NEW.id)
            WHERE id = NEW.id;
        END IF;
        PERFORM move_search_words(old_words, new_words);
        RETURN NULL;
    END
    $$;
-- Only the columns the document and the word list read: the UPDATE of `search_document`
-- above does not fire it again.
CREATE TRIGGER products_search
    AFTER INSERT OR DELETE OR UPDATE OF name, description, attributes, category_id, published
    ON products FOR EACH ROW EXECUTE FUNCTION products_search_changed();

CREATE FUNCTION variants_search_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE products SET search_document = product_search_document(id)
        WHERE id IN (OLD.product_id, NEW.product_id);
        RETURN NULL;
    END
    $$;
CREATE TRIGGER variants_search
    AFTER INSERT OR DELETE OR UPDATE OF sku, product_id
    ON product_variants FOR EACH ROW EXECUTE FUNCTION variants_search_changed();

-- A renamed or moved category changes the documents of every product below it, and the
-- word list; categories change rarely, so the list is rebuilt whole.
CREATE FUNCTION rebuild_search_words() RETURNS void LANGUAGE sql AS $$
    DELETE FROM search_words;
    INSERT INTO search_words (word, products)
    SELECT w, count(*) FROM products p, unnest(search_words_of(p.name, p.category_id)) w
    WHERE p.published
    GROUP BY w;
$$;
CREATE FUNCTION categories_search_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        WITH RECURSIVE tree AS (
            SELECT NEW.id AS id
            UNION ALL
            SELECT c.id FROM categories c JOIN tree ON c.parent_id = tree.id
        )
        UPDATE products SET search_document = product_search_document(products.id)
        WHERE category_id IN (SELECT id FROM tree);
        PERFORM rebuild_search_words();
        RETURN NULL;
    END
    $$;
CREATE TRIGGER categories_search
    AFTER UPDATE OF name, parent_id ON categories
    FOR EACH ROW EXECUTE FUNCTION categories_search_changed();

-- The products that exist already.
UPDATE products SET search_document = product_search_document(id);
SELECT rebuild_search_words();

-- What a product offers among its variants that pass the filters: the cheapest price, whether
-- any is available. Search results read it per product of a capped candidate set; a simple
-- SQL function, so the planner inlines it as a LATERAL join.
CREATE FUNCTION product_offer(product uuid, min_price bigint, max_price bigint, in_stock_only boolean)
    RETURNS TABLE (price_minor bigint, currency text, price_varies boolean, in_stock boolean)
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT min(v.price_minor), min(v.currency),
               max(v.price_minor) > min(v.price_minor), bool_or(v.on_hand > v.reserved)
        FROM product_variants v
        WHERE v.product_id = product
          AND (min_price IS NULL OR v.price_minor >= min_price)
          AND (max_price IS NULL OR v.price_minor <= max_price)
          AND (NOT in_stock_only OR v.on_hand > v.reserved)
        HAVING count(*) > 0
    $$;
