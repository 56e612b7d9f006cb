-- The catalog: a category tree and products, with the extensions later features rely on.
-- `vector` (pgvector) must be 0.8+ for iterative index scans on filtered similarity queries.
CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE categories (
    id          uuid PRIMARY KEY,
    parent_id   uuid REFERENCES categories (id) ON DELETE RESTRICT,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX categories_parent_id_idx ON categories (parent_id);

CREATE TABLE products (
    id              uuid PRIMARY KEY,
    category_id     uuid NOT NULL REFERENCES categories (id) ON DELETE RESTRICT,
    slug            text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description     text NOT NULL DEFAULT '',
    -- Money is integer minor units plus an ISO 4217 code; never a float.
    price_minor     bigint NOT NULL CHECK (price_minor >= 0),
    currency        text NOT NULL CHECK (currency IN ('EUR', 'USD', 'GBP')),
    stock           integer NOT NULL DEFAULT 0 CHECK (stock >= 0),
    -- MiniLM (all-MiniLM-L6-v2) sentence embedding of name + description, L2-normalised;
    -- filled by the embedding job once the text model is in (NULL until then).
    text_embedding  vector(384),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX products_category_id_idx ON products (category_id);
CREATE INDEX products_created_at_idx ON products (created_at DESC);
-- Cosine distance: the embeddings are normalised, and `<=>` is what semantic search orders by.
CREATE INDEX products_text_embedding_hnsw_idx ON products USING hnsw (text_embedding vector_cosine_ops);
-- Typo- and prefix-tolerant name search.
CREATE INDEX products_name_trgm_idx ON products USING gin (name gin_trgm_ops);
