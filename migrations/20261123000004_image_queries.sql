-- Photo searches, kept briefly so a result page has a URL of its own: the no-JavaScript form
-- posts the photo, the server stores its embedding here and redirects to
-- /search/photo?q=<id> (post/redirect/get), which reloads and shares like any page. Only the
-- embedding is kept, never the photo. Rows older than a day are deleted as new ones arrive.
CREATE TABLE image_queries (
    id              uuid PRIMARY KEY,
    embedding       vector(1280) NOT NULL,
    model_version   text NOT NULL,
    category_slug   text,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX image_queries_created_at_idx ON image_queries (created_at);
