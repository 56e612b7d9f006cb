-- Recommendations: the taste model's vectors per product (for the version that serves and the
-- one being switched to), and the companions computed by a periodic job: trending products and
-- products bought together.

-- A product as one version of the taste model sees it. A shopper's vector is
-- `tanh(Σ input / √n + user_bias)` over the products they met; the shop scores a product by
-- `[shopper, 1] · item`, so `item` is the product's vector with its bias appended and pgvector's
-- inner-product index finds the best. A new version's rows are written in full before it is
-- made active, and the rows read only the active version's, so switching (or rolling back)
-- never leaves the picks with half a catalog.
CREATE TABLE recommendation_vectors (
    version_id    uuid NOT NULL REFERENCES model_versions (id) ON DELETE CASCADE,
    product_id    uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    item          vector(97) NOT NULL,
    input         vector(96) NOT NULL,
    -- Placed by its content alone: no shopper had met it when the version was trained (a
    -- product added since is placed so too, by the `place_products` job).
    from_content  boolean NOT NULL,
    PRIMARY KEY (version_id, product_id)
);
CREATE INDEX recommendation_vectors_item_hnsw_idx
    ON recommendation_vectors USING hnsw (item vector_ip_ops);

-- A product placed by its content is placed again when its content changes (its text embedding,
-- its main image's embedding) and a product that becomes visible gets placed: the trigger drops
-- the stale row and queues the one `place_products` job (a no-op while no version is active),
-- which writes what the active version is missing.
CREATE FUNCTION queue_product_placement() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM model_versions WHERE kind = 'recommender' AND active) THEN
            IF TG_TABLE_NAME = 'products' THEN
                DELETE FROM recommendation_vectors WHERE product_id = NEW.id AND from_content;
            ELSE
                DELETE FROM recommendation_vectors WHERE product_id = NEW.product_id AND from_content;
            END IF;
            INSERT INTO jobs (id, kind, payload, dedupe_key)
            VALUES (gen_random_uuid(), 'place_products', '{}', 'place_products')
            ON CONFLICT (dedupe_key) WHERE status IN ('queued', 'running') DO NOTHING;
        END IF;
        RETURN NULL;
    END
    $$;

CREATE TRIGGER products_place
    AFTER INSERT OR UPDATE OF text_embedding, published ON products
    FOR EACH ROW EXECUTE FUNCTION queue_product_placement();
CREATE TRIGGER product_images_place
    AFTER INSERT OR UPDATE OF embedding ON product_images
    FOR EACH ROW EXECUTE FUNCTION queue_product_placement();

-- What every shopper's vector adds before its tanh, per version (the model's user bias).
CREATE TABLE recommendation_models (
    version_id  uuid PRIMARY KEY REFERENCES model_versions (id) ON DELETE CASCADE,
    user_bias   real[] NOT NULL CHECK (cardinality(user_bias) = 96)
);

-- What the rows may show: published, and some variant can be bought now.
CREATE FUNCTION recommendable(product uuid) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT EXISTS (
            SELECT 1 FROM products p JOIN product_variants v ON v.product_id = p.id
            WHERE p.id = product AND p.published AND v.on_hand > v.reserved
        )
    $$;

-- Time-decayed popularity over the last 30 days of views, cart adds, clicks and paid orders
-- (half-life 3 days), rebuilt whole by the `refresh_recs` job.
CREATE TABLE trending_products (
    product_id   uuid PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    category_id  uuid NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
    score        real NOT NULL CHECK (score > 0),
    computed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX trending_products_score_idx ON trending_products (score DESC);
CREATE INDEX trending_products_category_idx ON trending_products (category_id, score DESC);

-- Products found in the same basket (a paid order, or a cart) at least twice, with the lift of
-- the pair: how much likelier `other_id` is in a basket with `product_id` than in any basket
-- (raw counts would only say what is popular). Rebuilt whole by the `refresh_recs` job.
CREATE TABLE product_pairs (
    product_id  uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    other_id    uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    together    integer NOT NULL CHECK (together >= 2),
    lift        real NOT NULL CHECK (lift > 0),
    PRIMARY KEY (product_id, other_id),
    CHECK (product_id <> other_id)
);
CREATE INDEX product_pairs_lift_idx ON product_pairs (product_id, lift DESC);

-- Serving the rows reads a shopper's recent products by visitor or by account, newest first.
CREATE INDEX orders_paid_user_idx ON orders (user_id, paid_at DESC) WHERE paid_at IS NOT NULL;
