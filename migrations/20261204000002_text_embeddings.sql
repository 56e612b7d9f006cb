-- Products' text embeddings for the semantic arm of text search: all-MiniLM-L6-v2 over the
-- text `product_embedding_text` makes, L2-normalised (the `text_embedding` column and its HNSW
-- cosine index date from the catalog migration), now with the model version that made each
-- and the md5 of the text it read. The `embed_text` job fills them; a change that leaves the
-- text as it was (same checksum, same version) costs no inference.
ALTER TABLE products
    ADD COLUMN text_embedding_model text,
    ADD COLUMN text_embedding_checksum text,
    ADD CONSTRAINT products_text_embedding_complete CHECK (
        (text_embedding IS NULL) = (text_embedding_model IS NULL)
        AND (text_embedding IS NULL) = (text_embedding_checksum IS NULL)
    );

-- What the model reads of a product: its name, its category path (top first), its attribute
-- values and its description. MiniLM reads 256 tokens; the name comes first so it always fits.
CREATE FUNCTION product_embedding_text(product uuid) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (
        WITH RECURSIVE p AS (SELECT * FROM products WHERE id = product),
        path AS (
            SELECT c.parent_id, c.name, 0 AS depth FROM categories c JOIN p ON c.id = p.category_id
            UNION ALL
            SELECT c.parent_id, c.name, path.depth + 1
            FROM categories c JOIN path ON c.id = path.parent_id
        )
        SELECT concat_ws('. ',
            p.name,
            (SELECT string_agg(name, ', ' ORDER BY depth DESC) FROM path),
            nullif((SELECT string_agg(value, ', ' ORDER BY key) FROM jsonb_each_text(p.attributes)), ''),
            nullif(p.description, ''))
        FROM p
    );

-- Queues the product's `embed_text` job, in the transaction of the change that needs it (one
-- live job per product: the queue's dedupe key). The job's id need not be time-ordered: the
-- queue hands jobs out by `run_at`.
CREATE FUNCTION queue_text_embedding(product uuid) RETURNS void
    LANGUAGE sql AS $$
        INSERT INTO jobs (id, kind, payload, dedupe_key)
        VALUES (gen_random_uuid(), 'embed_text', jsonb_build_object('product_id', product),
                'embed_text:' || product)
        ON CONFLICT (dedupe_key) WHERE status IN ('queued', 'running') DO NOTHING;
    $$;

CREATE FUNCTION products_text_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM queue_text_embedding(NEW.id);
        RETURN NULL;
    END
    $$;
-- Every path that writes a product (the admin, the seed, an import) queues its embedding; an
-- update that leaves the text's columns as they were queues nothing.
CREATE TRIGGER products_text_inserted
    AFTER INSERT ON products
    FOR EACH ROW EXECUTE FUNCTION products_text_changed();
CREATE TRIGGER products_text_updated
    AFTER UPDATE OF name, description, attributes, category_id ON products
    FOR EACH ROW
    WHEN (OLD.name IS DISTINCT FROM NEW.name
          OR OLD.description IS DISTINCT FROM NEW.description
          OR OLD.attributes IS DISTINCT FROM NEW.attributes
          OR OLD.category_id IS DISTINCT FROM NEW.category_id)
    EXECUTE FUNCTION products_text_changed();

-- A renamed or moved category changes the text of every product below it.
CREATE FUNCTION categories_text_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM queue_text_embedding(p.id)
        FROM products p
        WHERE p.category_id IN (
            WITH RECURSIVE tree AS (
                SELECT NEW.id AS id
                UNION ALL
                SELECT c.id FROM categories c JOIN tree ON c.parent_id = tree.id
            )
            SELECT id FROM tree
        );
        RETURN NULL;
    END
    $$;
CREATE TRIGGER categories_text
    AFTER UPDATE OF name, parent_id ON categories
    FOR EACH ROW
    WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.parent_id IS DISTINCT FROM NEW.parent_id)
    EXECUTE FUNCTION categories_text_changed();

-- The products that exist already.
SELECT queue_text_embedding(id) FROM products;
