-- Text to image: a head trained in the server maps image embeddings into the text model's
-- space, so a query's MiniLM embedding finds products by what their picture shows.

-- The model registry: every trained version of a model trained in the server (the text-to-image
-- head now, the recommender later), with what it was trained on and how it scored. At most one
-- version of each kind is active; a version is kept after it is replaced, for rollback.
CREATE TABLE model_versions (
    id               uuid PRIMARY KEY,
    kind             text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]*$'),
    -- Shown to people and written next to what the version made: `text-to-image-20261206-1`.
    version          text NOT NULL UNIQUE,
    -- The hyper-parameters and seed, so a version can be trained again.
    params           jsonb NOT NULL,
    -- What it saw: counts, the data's versions (the image and text models' own versions).
    data             jsonb NOT NULL,
    -- Offline metrics on the version's validation split, the figure it is compared by first.
    metrics          jsonb NOT NULL,
    weights          bytea NOT NULL,
    training_seconds double precision NOT NULL CHECK (training_seconds >= 0),
    trained_at       timestamptz NOT NULL DEFAULT now(),
    active           boolean NOT NULL DEFAULT false,
    activated_at     timestamptz
);
CREATE UNIQUE INDEX model_versions_one_active_idx ON model_versions (kind) WHERE active;
CREATE INDEX model_versions_kind_idx ON model_versions (kind, trained_at DESC);

-- Each product's main image as the head of one version sees it: the image's embedding mapped
-- into the text space, L2-normalised. A new version's rows are written in full before it is
-- made active, and search reads only the active version's, so switching never leaves search
-- with half a catalog. `source_image` / `source_updated_at` say which image embedding it was
-- made from: a re-embedded or replaced main image makes the row stale.
CREATE TABLE product_image_texts (
    product_id        uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    model_version_id  uuid NOT NULL REFERENCES model_versions (id) ON DELETE CASCADE,
    embedding         vector(384) NOT NULL,
    source_image      uuid NOT NULL,
    source_updated_at timestamptz NOT NULL,
    PRIMARY KEY (model_version_id, product_id)
);
CREATE INDEX product_image_texts_embedding_hnsw_idx
    ON product_image_texts USING hnsw (embedding vector_cosine_ops);

-- The image each product is shown and mapped by: its first embedded image.
CREATE VIEW product_main_images AS
    SELECT DISTINCT ON (product_id) product_id, id AS image_id, embedding, model_version, updated_at
    FROM product_images
    WHERE status = 'ready'
    ORDER BY product_id, position;

-- A job can say how far it has got (`{"done": 120, "total": 400, "stage": "training"}`), for the
-- command line's progress bar and the admin's jobs page.
ALTER TABLE jobs ADD COLUMN progress jsonb;

-- A product image embedded anew makes its product's mapped row stale: queue the one job that
-- brings the active head's rows up to date (a no-op while no head is active; one live job at a
-- time, whatever the number of images).
CREATE FUNCTION queue_image_alignment() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM model_versions WHERE kind = 'text_to_image' AND active) THEN
            INSERT INTO jobs (id, kind, payload, dedupe_key)
            VALUES (gen_random_uuid(), 'align_images', '{}', 'align_images')
            ON CONFLICT (dedupe_key) WHERE status IN ('queued', 'running') DO NOTHING;
        END IF;
        RETURN NULL;
    END
    $$;

CREATE TRIGGER product_images_align
    AFTER INSERT OR DELETE OR UPDATE OF embedding, position, status ON product_images
    FOR EACH STATEMENT EXECUTE FUNCTION queue_image_alignment();
