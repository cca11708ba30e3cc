-- Telephony integrations (who may post call events) and agent devices (how a PBX names an agent).
-- Portable SQL: epoch-millisecond BIGINT times, JSON as TEXT, INTEGER PRIMARY KEY ids.

CREATE TABLE integrations (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('generic', 'zammad', 'twilio')),
    name TEXT NOT NULL,
    -- SHA-256 of the Bearer / path token; the token itself is shown once and never stored.
    token_hash TEXT UNIQUE,
    -- Twilio names the account in every webhook, so the SID is kept readable for the lookup;
    -- the auth token is Fernet ciphertext under a key derived from CALLCENTER_SECRET_KEY.
    account_sid TEXT UNIQUE,
    auth_token_secret TEXT,
    default_region TEXT NOT NULL,
    block_list TEXT NOT NULL DEFAULT '[]',
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK ((kind = 'twilio') = (account_sid IS NOT NULL AND auth_token_secret IS NOT NULL)),
    CHECK ((kind = 'twilio') = (token_hash IS NULL))
);

CREATE TABLE agent_devices (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('extension', 'sip', 'twilio_client')),
    value TEXT NOT NULL,
    label TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (kind, value)
);
CREATE INDEX agent_devices_user ON agent_devices (user_id);

-- The device an agent chose at login (hot desks); NULL until they choose or after it is removed.
CREATE TABLE agent_active_device (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    active_device_id INTEGER REFERENCES agent_devices (id) ON DELETE SET NULL,
    chosen_at BIGINT NOT NULL
);
