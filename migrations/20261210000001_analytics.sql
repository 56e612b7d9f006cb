-- The admin's analytics read daily rollups, never raw events or orders: each rollup is kept
-- up to date by a trigger in the transaction that writes its source, so a dashboard query
-- reads at most a row per day (and per product, query or row) of its date range.
--
-- Days are UTC days.

-- How many products a text search found (set by the server; zero-result queries).
ALTER TABLE shopper_events ADD COLUMN results integer CHECK (results >= 0);

-- Counts per day: shopper events by kind (`view`, `cart_add`, `search`, `search_click`,
-- `rec_impression`, `rec_click`), `photo_search`, `checkout` (orders placed), `paid` (orders
-- paid).
CREATE TABLE analytics_daily_counts (
    day     date NOT NULL,
    metric  text NOT NULL,
    count   bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, metric)
);

-- Paid orders and their revenue per day (the day of payment) and currency; refunds are taken
-- off the day the order was paid.
CREATE TABLE analytics_daily_sales (
    day             date NOT NULL,
    currency        text NOT NULL,
    orders          bigint NOT NULL DEFAULT 0,
    revenue_minor   bigint NOT NULL DEFAULT 0,
    refunded_minor  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, currency)
);

-- Per product and day: views, cart adds, units sold and their revenue (paid orders).
CREATE TABLE analytics_daily_products (
    day            date NOT NULL,
    product_id     uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    views          bigint NOT NULL DEFAULT 0,
    cart_adds      bigint NOT NULL DEFAULT 0,
    units          bigint NOT NULL DEFAULT 0,
    revenue_minor  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, product_id)
);

-- The same per month (the first day of the month): a year's top products read twelve rows a
-- product instead of 365 ([`analytics_product_totals`]).
CREATE TABLE analytics_monthly_products (
    month          date NOT NULL,
    product_id     uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    views          bigint NOT NULL DEFAULT 0,
    cart_adds      bigint NOT NULL DEFAULT 0,
    units          bigint NOT NULL DEFAULT 0,
    revenue_minor  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (month, product_id)
);

-- Per search as typed (lowercased, trimmed) and day: searches, those that found nothing, and
-- clicks on a result.
CREATE TABLE analytics_daily_queries (
    day       date NOT NULL,
    query     text NOT NULL,
    searches  bigint NOT NULL DEFAULT 0,
    empty     bigint NOT NULL DEFAULT 0,
    clicks    bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, query)
);

-- Per recommendation row and day: impressions and clicks.
CREATE TABLE analytics_daily_rows (
    day          date NOT NULL,
    row_name     text NOT NULL,
    impressions  bigint NOT NULL DEFAULT 0,
    clicks       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, row_name)
);

-- The event writer inserts a batch per statement: the rollups take the whole batch at once.
CREATE FUNCTION analytics_events_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO analytics_daily_counts (day, metric, count)
    SELECT (occurred_at AT TIME ZONE 'UTC')::date, kind, count(*) FROM new_events GROUP BY 1, 2
    ON CONFLICT (day, metric) DO UPDATE SET count = analytics_daily_counts.count + EXCLUDED.count;

    INSERT INTO analytics_daily_products (day, product_id, views, cart_adds)
    SELECT (occurred_at AT TIME ZONE 'UTC')::date, product_id,
           count(*) FILTER (WHERE kind = 'view'), count(*) FILTER (WHERE kind = 'cart_add')
    FROM new_events WHERE kind IN ('view', 'cart_add') GROUP BY 1, 2
    ON CONFLICT (day, product_id) DO UPDATE
        SET views = analytics_daily_products.views + EXCLUDED.views,
            cart_adds = analytics_daily_products.cart_adds + EXCLUDED.cart_adds;
    INSERT INTO analytics_monthly_products (month, product_id, views, cart_adds)
    SELECT date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date, product_id,
           count(*) FILTER (WHERE kind = 'view'), count(*) FILTER (WHERE kind = 'cart_add')
    FROM new_events WHERE kind IN ('view', 'cart_add') GROUP BY 1, 2
    ON CONFLICT (month, product_id) DO UPDATE
        SET views = analytics_monthly_products.views + EXCLUDED.views,
            cart_adds = analytics_monthly_products.cart_adds + EXCLUDED.cart_adds;

    INSERT INTO analytics_daily_queries (day, query, searches, empty, clicks)
    SELECT (occurred_at AT TIME ZONE 'UTC')::date, lower(btrim(query)),
           count(*) FILTER (WHERE kind = 'search'),
           count(*) FILTER (WHERE kind = 'search' AND results = 0),
           count(*) FILTER (WHERE kind = 'search_click')
    FROM new_events WHERE kind IN ('search', 'search_click') GROUP BY 1, 2
    ON CONFLICT (day, query) DO UPDATE
        SET searches = analytics_daily_queries.searches + EXCLUDED.searches,
            empty = analytics_daily_queries.empty + EXCLUDED.empty,
            clicks = analytics_daily_queries.clicks + EXCLUDED.clicks;

    INSERT INTO analytics_daily_rows (day, row_name, impressions, clicks)
    SELECT (occurred_at AT TIME ZONE 'UTC')::date, row_name,
           count(*) FILTER (WHERE kind = 'rec_impression'), count(*) FILTER (WHERE kind = 'rec_click')
    FROM new_events WHERE row_name IS NOT NULL GROUP BY 1, 2
    ON CONFLICT (day, row_name) DO UPDATE
        SET impressions = analytics_daily_rows.impressions + EXCLUDED.impressions,
            clicks = analytics_daily_rows.clicks + EXCLUDED.clicks;
    RETURN NULL;
END $$;

CREATE TRIGGER shopper_events_rollup AFTER INSERT ON shopper_events
    REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION analytics_events_rollup();

CREATE FUNCTION analytics_count(metric text, at timestamptz, n bigint) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO analytics_daily_counts (day, metric, count) VALUES ((at AT TIME ZONE 'UTC')::date, metric, n)
    ON CONFLICT (day, metric) DO UPDATE SET count = analytics_daily_counts.count + EXCLUDED.count;
$$;

CREATE FUNCTION analytics_photo_search_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM analytics_count('photo_search', NEW.created_at, 1);
    RETURN NULL;
END $$;

CREATE TRIGGER image_queries_rollup AFTER INSERT ON image_queries
    FOR EACH ROW EXECUTE FUNCTION analytics_photo_search_rollup();

-- An order counts as a checkout when placed, and as a sale (with its lines) when paid; a
-- refund comes off its paid day.
CREATE FUNCTION analytics_orders_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    paid_day date;
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM analytics_count('checkout', NEW.created_at, 1);
    END IF;
    IF NEW.paid_at IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.paid_at IS NULL) THEN
        paid_day := (NEW.paid_at AT TIME ZONE 'UTC')::date;
        PERFORM analytics_count('paid', NEW.paid_at, 1);
        INSERT INTO analytics_daily_sales (day, currency, orders, revenue_minor)
        VALUES (paid_day, NEW.currency, 1, NEW.total_minor)
        ON CONFLICT (day, currency) DO UPDATE
            SET orders = analytics_daily_sales.orders + 1,
                revenue_minor = analytics_daily_sales.revenue_minor + EXCLUDED.revenue_minor;
        INSERT INTO analytics_daily_products (day, product_id, units, revenue_minor)
        SELECT paid_day, v.product_id, sum(l.quantity), sum(l.quantity * l.unit_price_minor)
        FROM order_lines l JOIN product_variants v ON v.id = l.variant_id
        WHERE l.order_id = NEW.id GROUP BY v.product_id
        ON CONFLICT (day, product_id) DO UPDATE
            SET units = analytics_daily_products.units + EXCLUDED.units,
                revenue_minor = analytics_daily_products.revenue_minor + EXCLUDED.revenue_minor;
        INSERT INTO analytics_monthly_products (month, product_id, units, revenue_minor)
        SELECT date_trunc('month', paid_day)::date, v.product_id, sum(l.quantity),
               sum(l.quantity * l.unit_price_minor)
        FROM order_lines l JOIN product_variants v ON v.id = l.variant_id
        WHERE l.order_id = NEW.id GROUP BY v.product_id
        ON CONFLICT (month, product_id) DO UPDATE
            SET units = analytics_monthly_products.units + EXCLUDED.units,
                revenue_minor = analytics_monthly_products.revenue_minor + EXCLUDED.revenue_minor;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.paid_at IS NOT NULL AND NEW.refunded_minor <> OLD.refunded_minor THEN
        INSERT INTO analytics_daily_sales (day, currency, refunded_minor)
        VALUES ((NEW.paid_at AT TIME ZONE 'UTC')::date, NEW.currency, NEW.refunded_minor - OLD.refunded_minor)
        ON CONFLICT (day, currency) DO UPDATE
            SET refunded_minor = analytics_daily_sales.refunded_minor + EXCLUDED.refunded_minor;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER orders_rollup AFTER INSERT OR UPDATE OF paid_at, refunded_minor ON orders
    FOR EACH ROW EXECUTE FUNCTION analytics_orders_rollup();

-- What the shop holds already goes into the rollups once.
INSERT INTO analytics_daily_counts (day, metric, count)
SELECT (occurred_at AT TIME ZONE 'UTC')::date, kind, count(*) FROM shopper_events GROUP BY 1, 2;
INSERT INTO analytics_daily_counts (day, metric, count)
SELECT (created_at AT TIME ZONE 'UTC')::date, 'checkout', count(*) FROM orders GROUP BY 1
ON CONFLICT (day, metric) DO UPDATE SET count = analytics_daily_counts.count + EXCLUDED.count;
INSERT INTO analytics_daily_counts (day, metric, count)
SELECT (paid_at AT TIME ZONE 'UTC')::date, 'paid', count(*) FROM orders WHERE paid_at IS NOT NULL GROUP BY 1
ON CONFLICT (day, metric) DO UPDATE SET count = analytics_daily_counts.count + EXCLUDED.count;
INSERT INTO analytics_daily_counts (day, metric, count)
SELECT (created_at AT TIME ZONE 'UTC')::date, 'photo_search', count(*) FROM image_queries GROUP BY 1
ON CONFLICT (day, metric) DO UPDATE SET count = analytics_daily_counts.count + EXCLUDED.count;
INSERT INTO analytics_daily_sales (day, currency, orders, revenue_minor, refunded_minor)
SELECT (paid_at AT TIME ZONE 'UTC')::date, currency, count(*), sum(total_minor), sum(refunded_minor)
FROM orders WHERE paid_at IS NOT NULL GROUP BY 1, 2;
INSERT INTO analytics_daily_products (day, product_id, views, cart_adds, units, revenue_minor)
SELECT day, product_id, sum(views), sum(cart_adds), sum(units), sum(revenue_minor) FROM (
    SELECT (occurred_at AT TIME ZONE 'UTC')::date AS day, product_id,
           count(*) FILTER (WHERE kind = 'view') AS views,
           count(*) FILTER (WHERE kind = 'cart_add') AS cart_adds, 0 AS units, 0 AS revenue_minor
    FROM shopper_events WHERE kind IN ('view', 'cart_add') GROUP BY 1, 2
    UNION ALL
    SELECT (o.paid_at AT TIME ZONE 'UTC')::date, v.product_id, 0, 0, sum(l.quantity),
           sum(l.quantity * l.unit_price_minor)
    FROM orders o JOIN order_lines l ON l.order_id = o.id JOIN product_variants v ON v.id = l.variant_id
    WHERE o.paid_at IS NOT NULL GROUP BY 1, 2
) parts GROUP BY 1, 2;
INSERT INTO analytics_daily_queries (day, query, searches, empty, clicks)
SELECT (occurred_at AT TIME ZONE 'UTC')::date, lower(btrim(query)),
       count(*) FILTER (WHERE kind = 'search'), 0, count(*) FILTER (WHERE kind = 'search_click')
FROM shopper_events WHERE kind IN ('search', 'search_click') GROUP BY 1, 2;
INSERT INTO analytics_daily_rows (day, row_name, impressions, clicks)
SELECT (occurred_at AT TIME ZONE 'UTC')::date, row_name,
       count(*) FILTER (WHERE kind = 'rec_impression'), count(*) FILTER (WHERE kind = 'rec_click')
FROM shopper_events WHERE row_name IS NOT NULL GROUP BY 1, 2;

INSERT INTO analytics_monthly_products (month, product_id, views, cart_adds, units, revenue_minor)
SELECT date_trunc('month', day)::date, product_id, sum(views), sum(cart_adds), sum(units), sum(revenue_minor)
FROM analytics_daily_products GROUP BY 1, 2;

-- Each product's views, cart adds, units and revenue from `first` to `last` (both included):
-- the whole months inside the range from the monthly rollup, the days at either end from the
-- daily one. The two day ranges are plain ranges of the daily key, so each is one index range.
CREATE FUNCTION analytics_product_totals(first date, last date)
RETURNS TABLE (product_id uuid, views bigint, cart_adds bigint, units bigint, revenue_minor bigint)
LANGUAGE sql STABLE AS $$
    SELECT product_id, sum(views)::bigint, sum(cart_adds)::bigint, sum(units)::bigint,
           sum(revenue_minor)::bigint
    FROM (
        -- Before the first whole month (or the whole range, when it holds none).
        SELECT d.product_id, d.views, d.cart_adds, d.units, d.revenue_minor
        FROM analytics_daily_products d
        WHERE d.day >= first
          AND d.day < least((date_trunc('month', first - 1) + interval '1 month')::date, last + 1)
        UNION ALL
        SELECT m.product_id, m.views, m.cart_adds, m.units, m.revenue_minor
        FROM analytics_monthly_products m
        WHERE m.month >= (date_trunc('month', first - 1) + interval '1 month')::date
          AND m.month < date_trunc('month', last + 1)::date
        UNION ALL
        -- After the last whole month.
        SELECT d.product_id, d.views, d.cart_adds, d.units, d.revenue_minor
        FROM analytics_daily_products d
        WHERE d.day >= greatest(date_trunc('month', last + 1)::date,
                                (date_trunc('month', first - 1) + interval '1 month')::date)
          AND d.day <= last
    ) parts
    GROUP BY product_id
$$;

-- Customer segments by recency, frequency and spend (k-means over RFM features), as the
-- `analytics_segments` job last computed them: replaced whole by each run.
CREATE TABLE customer_segments (
    segment           integer PRIMARY KEY,
    label             text NOT NULL,
    customers         bigint NOT NULL,
    avg_recency_days  double precision NOT NULL,
    avg_orders        double precision NOT NULL,
    avg_spend_minor   double precision NOT NULL,
    currency          text NOT NULL,
    computed_at       timestamptz NOT NULL DEFAULT now()
);
