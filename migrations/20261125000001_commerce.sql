-- Commerce: variants with their stock and its ledger, carts, orders with their lines and status
-- history, payments with idempotency keys, refunds, and the payment ledger. Events about all of
-- it go to the outbox (accounts migration) in the same transaction as the change; this migration
-- gives the outbox what at-least-once delivery needs.

-- Products gain a publish state and free-form attributes (material, origin …); price and stock
-- move to their variants: a product without options has exactly one.
ALTER TABLE products
    ADD COLUMN published  boolean NOT NULL DEFAULT true,
    ADD COLUMN attributes jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object');

CREATE TABLE product_variants (
    id           uuid PRIMARY KEY,
    product_id   uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    sku          text NOT NULL UNIQUE CHECK (sku ~ '^[A-Z0-9]+(-[A-Z0-9]+)*$'),
    -- Option name → value, e.g. {"size": "M"}; {} for a product without options.
    options      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(options) = 'object'),
    position     integer NOT NULL DEFAULT 0,
    -- Money is integer minor units plus an ISO 4217 code; never a float.
    price_minor  bigint NOT NULL CHECK (price_minor >= 0),
    currency     text NOT NULL CHECK (currency IN ('EUR', 'USD', 'GBP')),
    -- Units in the warehouse, and how many of them paying checkouts hold. Only the inventory
    -- module writes these, always with a stock_movements row; the CHECKs are the last line
    -- against oversell: no update can make available (on_hand - reserved) negative.
    on_hand      integer NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    reserved     integer NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= on_hand),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (product_id, options)
);
CREATE INDEX product_variants_product_idx ON product_variants (product_id, position);
CREATE INDEX product_variants_options_idx ON product_variants USING gin (options jsonb_path_ops);

-- Every change of on_hand or reserved, signed. Per variant the sums equal the current columns.
CREATE TABLE stock_movements (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT now(),
    variant_id      uuid NOT NULL REFERENCES product_variants (id) ON DELETE CASCADE,
    reason          text NOT NULL
                    CHECK (reason IN ('received', 'adjusted', 'reserved', 'released', 'sold', 'restocked')),
    on_hand_delta   integer NOT NULL,
    reserved_delta  integer NOT NULL,
    order_id        uuid,
    actor_id        uuid REFERENCES users (id) ON DELETE SET NULL,
    note            text NOT NULL DEFAULT '',
    CHECK (on_hand_delta <> 0 OR reserved_delta <> 0)
);
CREATE INDEX stock_movements_variant_idx ON stock_movements (variant_id, id);
CREATE INDEX stock_movements_order_idx ON stock_movements (order_id) WHERE order_id IS NOT NULL;

-- Each existing product becomes a single variant, its stock received into the ledger.
INSERT INTO product_variants (id, product_id, sku, price_minor, currency, on_hand)
SELECT gen_random_uuid(), id, upper(slug), price_minor, currency, stock FROM products;
INSERT INTO stock_movements (variant_id, reason, on_hand_delta, reserved_delta, note)
SELECT id, 'received', on_hand, 0, 'opening stock' FROM product_variants WHERE on_hand > 0;
ALTER TABLE products DROP COLUMN price_minor, DROP COLUMN currency, DROP COLUMN stock;
CREATE INDEX products_published_category_idx ON products (category_id) WHERE published;

-- A guest's cart is known by an unguessable id in a cookie; a signed-in shopper has one cart.
CREATE TABLE carts (
    id          uuid PRIMARY KEY,
    user_id     uuid UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX carts_guest_updated_idx ON carts (updated_at) WHERE user_id IS NULL;

CREATE TABLE cart_items (
    cart_id     uuid NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    variant_id  uuid NOT NULL REFERENCES product_variants (id) ON DELETE CASCADE,
    quantity    integer NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    added_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cart_id, variant_id)
);

CREATE SEQUENCE order_numbers START 1001;

CREATE TABLE orders (
    id                uuid PRIMARY KEY,
    -- What the shopper and the staff say ("order 1042"); the id stays unguessable in URLs.
    number            bigint NOT NULL UNIQUE DEFAULT nextval('order_numbers'),
    user_id           uuid REFERENCES users (id) ON DELETE SET NULL,
    -- The cart it was placed from: a guest sees the orders of their own cart.
    cart_id           uuid REFERENCES carts (id) ON DELETE SET NULL,
    email             text NOT NULL CHECK (email LIKE '%_@_%'),
    status            text NOT NULL CHECK (status IN
                        ('pending_payment', 'paid', 'fulfilled', 'shipped', 'delivered', 'cancelled', 'refunded')),
    -- The order's stock: held (reserved until reserved_until), released, or sold.
    stock_state       text NOT NULL CHECK (stock_state IN ('held', 'released', 'sold')),
    reserved_until    timestamptz,
    currency          text NOT NULL CHECK (currency IN ('EUR', 'USD', 'GBP')),
    subtotal_minor    bigint NOT NULL CHECK (subtotal_minor >= 0),
    shipping_minor    bigint NOT NULL CHECK (shipping_minor >= 0),
    total_minor       bigint NOT NULL CHECK (total_minor = subtotal_minor + shipping_minor),
    paid_minor        bigint NOT NULL DEFAULT 0 CHECK (paid_minor >= 0),
    refunded_minor    bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0 AND refunded_minor <= paid_minor),
    shipping_method   text NOT NULL,
    shipping_address  jsonb NOT NULL,
    cancel_reason     text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    paid_at           timestamptz,
    CHECK ((stock_state = 'held') = (reserved_until IS NOT NULL))
);
CREATE INDEX orders_user_idx ON orders (user_id, created_at DESC);
CREATE INDEX orders_cart_idx ON orders (cart_id, created_at DESC);
CREATE INDEX orders_status_idx ON orders (status, created_at DESC);
CREATE INDEX orders_held_idx ON orders (reserved_until) WHERE stock_state = 'held';

ALTER TABLE stock_movements
    ADD CONSTRAINT stock_movements_order_fk FOREIGN KEY (order_id) REFERENCES orders (id);

-- What was bought, as it was when bought (names and prices may change later).
CREATE TABLE order_lines (
    order_id          uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    variant_id        uuid NOT NULL REFERENCES product_variants (id) ON DELETE RESTRICT,
    sku               text NOT NULL,
    product_name      text NOT NULL,
    product_slug      text NOT NULL,
    options           jsonb NOT NULL,
    unit_price_minor  bigint NOT NULL CHECK (unit_price_minor >= 0),
    quantity          integer NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, variant_id)
);

-- The order's history: every status it has had, who moved it and why.
CREATE TABLE order_status_changes (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id     uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    at           timestamptz NOT NULL DEFAULT now(),
    from_status  text,
    to_status    text NOT NULL,
    actor_id     uuid REFERENCES users (id) ON DELETE SET NULL,
    note         text NOT NULL DEFAULT ''
);
CREATE INDEX order_status_changes_order_idx ON order_status_changes (order_id, id);

-- One row per payment attempt. The client's idempotency key makes a retried request return the
-- first attempt's outcome instead of charging again; the provider gets the same key.
CREATE TABLE payments (
    id               uuid PRIMARY KEY,
    order_id         uuid NOT NULL REFERENCES orders (id),
    idempotency_key  text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    provider         text NOT NULL,
    provider_ref     text,
    amount_minor     bigint NOT NULL CHECK (amount_minor > 0),
    currency         text NOT NULL,
    -- Never the card number: its brand and last four digits, for receipts.
    card_brand       text NOT NULL,
    card_last4       text NOT NULL CHECK (card_last4 ~ '^[0-9]{4}$'),
    status           text NOT NULL CHECK (status IN
                        ('processing', 'requires_action', 'succeeded', 'declined', 'failed')),
    decline_code     text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (order_id, idempotency_key)
);
CREATE INDEX payments_order_idx ON payments (order_id, created_at);
-- At most one attempt in flight per order: two tabs cannot both be charging it.
CREATE UNIQUE INDEX payments_one_in_flight_idx ON payments (order_id)
    WHERE status IN ('processing', 'requires_action');

CREATE TABLE refunds (
    id               uuid PRIMARY KEY,
    order_id         uuid NOT NULL REFERENCES orders (id),
    payment_id       uuid NOT NULL REFERENCES payments (id),
    idempotency_key  text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    amount_minor     bigint NOT NULL CHECK (amount_minor > 0),
    reason           text NOT NULL DEFAULT '',
    restock          boolean NOT NULL DEFAULT false,
    provider_ref     text NOT NULL,
    actor_id         uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (order_id, idempotency_key)
);

-- Money that moved, append-only: per order, charges sum to paid_minor and refunds to
-- refunded_minor.
CREATE TABLE payment_ledger (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    order_id      uuid NOT NULL REFERENCES orders (id),
    payment_id    uuid NOT NULL REFERENCES payments (id),
    refund_id     uuid REFERENCES refunds (id),
    kind          text NOT NULL CHECK (kind IN ('charge', 'refund')),
    amount_minor  bigint NOT NULL CHECK (amount_minor > 0),
    currency      text NOT NULL,
    provider_ref  text NOT NULL,
    CHECK ((kind = 'refund') = (refund_id IS NOT NULL))
);
CREATE INDEX payment_ledger_order_idx ON payment_ledger (order_id, id);

-- At-least-once delivery: a failed delivery is retried with backoff; a delivered event is
-- never delivered again by the relay (handlers still tolerate a repeat, see below).
ALTER TABLE outbox
    ADD COLUMN attempts        integer NOT NULL DEFAULT 0,
    ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN last_error      text;
DROP INDEX outbox_pending_idx;
CREATE INDEX outbox_pending_idx ON outbox (next_attempt_at, id) WHERE delivered_at IS NULL;

-- The internal feed later features (recommendations, analytics) read by id. Keyed by the
-- outbox id, so delivering an event twice adds it once.
CREATE TABLE shop_events (
    outbox_id  bigint PRIMARY KEY REFERENCES outbox (id),
    at         timestamptz NOT NULL,
    topic      text NOT NULL,
    payload    jsonb NOT NULL
);
CREATE INDEX shop_events_topic_idx ON shop_events (topic, outbox_id);

-- Emails sent, one per outbox event at most: the email handler skips an event found here.
CREATE TABLE sent_emails (
    outbox_id  bigint PRIMARY KEY REFERENCES outbox (id),
    sent_at    timestamptz NOT NULL DEFAULT now(),
    recipient  text NOT NULL,
    subject    text NOT NULL
);
