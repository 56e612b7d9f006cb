-- Bulk imports of products: a CSV of products with their variants and, optionally, a ZIP of
-- the images the CSV names. The upload writes the row and queues its `import_catalog` job in
-- one transaction; the job fills in the counters as it goes (the admin's progress bar reads
-- them) and the row errors at the end. The files stay with the row while the import may still
-- run; the ZIP is dropped once it has ended (the CSV stays, as the record of what was asked).
CREATE TABLE catalog_imports (
    id                  uuid PRIMARY KEY,
    created_by          uuid REFERENCES users (id) ON DELETE SET NULL,
    file_name           text NOT NULL,
    images_name         text,
    csv                 text NOT NULL,
    images              bytea,
    status              text NOT NULL DEFAULT 'queued'
                        CHECK (status IN ('queued', 'running', 'done', 'failed')),
    rows_total          integer NOT NULL DEFAULT 0 CHECK (rows_total >= 0),
    rows_done           integer NOT NULL DEFAULT 0 CHECK (rows_done >= 0),
    rows_failed         integer NOT NULL DEFAULT 0 CHECK (rows_failed >= 0),
    products_created    integer NOT NULL DEFAULT 0,
    products_updated    integer NOT NULL DEFAULT 0,
    products_unchanged  integer NOT NULL DEFAULT 0,
    -- [{"line": 3, "sku": "MUG-1", "field": "price", "message": "…"}], the first 1000.
    errors              jsonb NOT NULL DEFAULT '[]',
    -- Why the import as a whole stopped (an unreadable ZIP entry), when it did.
    failure             text,
    job_id              uuid,
    created_at          timestamptz NOT NULL DEFAULT now(),
    started_at          timestamptz,
    finished_at         timestamptz
);
CREATE INDEX catalog_imports_created_idx ON catalog_imports (created_at DESC);

-- The sha256 of the file an image was made from (the original photo of an upload or an
-- import), so importing the same file again is recognised without decoding it.
ALTER TABLE product_images ADD COLUMN source_sha256 text CHECK (source_sha256 ~ '^[0-9a-f]{64}$');
