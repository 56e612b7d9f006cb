-- Product images: the stored file, its checksum and size, and its image embedding with the
-- model version that made it. The embedding job fills `embedding` and moves `status` on.
CREATE TABLE product_images (
    id              uuid PRIMARY KEY,
    product_id      uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    -- 0 is the product's main image.
    position        integer NOT NULL DEFAULT 0 CHECK (position >= 0),
    -- Path under the media root; content-addressed (the sha256), so files are immutable.
    storage_key     text NOT NULL,
    content_type    text NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg', 'image/webp')),
    sha256          text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    width           integer NOT NULL CHECK (width > 0),
    height          integer NOT NULL CHECK (height > 0),
    byte_size       integer NOT NULL CHECK (byte_size > 0),
    alt_text        text NOT NULL DEFAULT '',
    -- EfficientNet-Lite0 pooled features, L2-normalised.
    embedding       vector(1280),
    model_version   text,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ready', 'failed')),
    error           text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (product_id, position),
    CHECK ((status = 'ready') = (embedding IS NOT NULL AND model_version IS NOT NULL))
);
CREATE INDEX product_images_status_idx ON product_images (status) WHERE status <> 'ready';
CREATE INDEX product_images_embedding_hnsw_idx ON product_images USING hnsw (embedding vector_cosine_ops);
