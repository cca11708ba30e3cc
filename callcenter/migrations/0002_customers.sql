-- Customers, their phone numbers, orders and computed value (ABC tier, RFM, CLV).
-- Portable SQL: epoch-millisecond BIGINT times, integer cents, INTEGER PRIMARY KEY ids.

CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    -- Case-folded name and company, written by the service: SQLite's LOWER() folds ASCII only.
    search_key TEXT NOT NULL,
    email TEXT,
    company TEXT,
    language TEXT,
    timezone TEXT,
    segment TEXT,
    tier TEXT CHECK (tier IS NULL OR tier IN ('A', 'B', 'C')),
    dedicated_agent_id INTEGER REFERENCES users (id),
    notes TEXT NOT NULL DEFAULT '',
    notes_important BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX customers_tier ON customers (tier, id);
CREATE INDEX customers_agent ON customers (dedicated_agent_id, id);
CREATE INDEX customers_email ON customers (LOWER(email));

CREATE TABLE customer_phones (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    e164 TEXT NOT NULL,
    extension TEXT,
    raw TEXT NOT NULL,
    label TEXT
);
-- The screen pop looks callers up by number on every ringing call.
CREATE INDEX customer_phones_e164 ON customer_phones (e164, customer_id);
CREATE INDEX customer_phones_customer ON customer_phones (customer_id, position);

CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    -- The sending system's id: importing the same order again updates it instead of adding it twice.
    external_id TEXT UNIQUE,
    at_ms BIGINT NOT NULL,
    amount_cents BIGINT NOT NULL CHECK (amount_cents >= 0),
    created_at BIGINT NOT NULL
);
CREATE INDEX orders_customer_at ON orders (customer_id, at_ms);

CREATE TABLE customer_values (
    customer_id INTEGER PRIMARY KEY REFERENCES customers (id) ON DELETE CASCADE,
    tier TEXT NOT NULL CHECK (tier IN ('A', 'B', 'C')),
    -- RFM scores 1-5; NULL for a customer without orders.
    r INTEGER,
    f INTEGER,
    m INTEGER,
    clv_cents BIGINT NOT NULL,
    revenue_12m_cents BIGINT NOT NULL,
    orders_12m INTEGER NOT NULL,
    last_order_at BIGINT,
    computed_at BIGINT NOT NULL
);
