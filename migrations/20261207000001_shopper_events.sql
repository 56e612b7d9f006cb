-- What shoppers do, first-party only: what the recommender learns from and what the admin's
-- click-through figures count. Purchases are not events: paid orders are the record of them.
--
-- A guest is known by the visitor cookie's id; `user_id` is set when the shopper is signed in
-- (and on the guest's earlier events when they sign in). Rows are written in batches by the
-- server's event writer, never inside a page's request.
CREATE TABLE shopper_events (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    visitor        uuid NOT NULL,
    user_id        uuid REFERENCES users (id) ON DELETE CASCADE,
    kind           text NOT NULL CHECK (kind IN
                       ('view', 'cart_add', 'search', 'search_click', 'rec_impression', 'rec_click')),
    product_id     uuid REFERENCES products (id) ON DELETE CASCADE,
    query          text CHECK (char_length(query) BETWEEN 1 AND 200),
    row_name       text CHECK (char_length(row_name) BETWEEN 1 AND 40),
    model_version  text CHECK (char_length(model_version) BETWEEN 1 AND 80),
    position       integer CHECK (position BETWEEN 0 AND 99),
    occurred_at    timestamptz NOT NULL DEFAULT now(),
    -- A search names what was searched; every other kind names a product; a click on a
    -- result also names the search; a recommendation's events name their row.
    CHECK (kind <> 'search' OR (query IS NOT NULL AND product_id IS NULL)),
    CHECK (kind = 'search' OR product_id IS NOT NULL),
    CHECK (kind <> 'search_click' OR query IS NOT NULL),
    CHECK ((kind IN ('rec_impression', 'rec_click')) = (row_name IS NOT NULL))
);

CREATE INDEX shopper_events_visitor_idx ON shopper_events (visitor, occurred_at);
CREATE INDEX shopper_events_user_idx ON shopper_events (user_id, occurred_at) WHERE user_id IS NOT NULL;
CREATE INDEX shopper_events_product_idx ON shopper_events (product_id, occurred_at) WHERE product_id IS NOT NULL;
CREATE INDEX shopper_events_time_idx ON shopper_events (occurred_at);
