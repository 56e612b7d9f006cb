-- Catalog editing in the admin area.
-- `revision` is bumped by every save of the product form: a form saved against an older
-- revision than the stored one is refused (two admins cannot silently overwrite each other).
-- `archived_at`: an archived product is hidden and kept out of the admin's default list;
-- showing it again restores it.
ALTER TABLE products
    ADD COLUMN revision integer NOT NULL DEFAULT 1 CHECK (revision >= 1),
    ADD COLUMN archived_at timestamptz;

-- The slugs a product had before: their URLs answer 301 with the current one. A slug taken
-- by a product again stops redirecting (the save deletes its row in the same transaction).
CREATE TABLE product_slug_redirects (
    slug        text PRIMARY KEY CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    product_id  uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX product_slug_redirects_product_idx ON product_slug_redirects (product_id);
