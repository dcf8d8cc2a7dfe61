-- Weft's transactional outbox on PostgreSQL (docs/WIRE.md, ADR 0040). One row per event.
-- Run it once (JdbcOutbox.Builder.createTable(true) runs it on start; it is idempotent).
CREATE TABLE IF NOT EXISTS weft_outbox (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- relay order: taken when the transaction writes its events
    event_id     VARCHAR(64)  NOT NULL,                           -- the event's id (a UUID): consumers de-duplicate by it
    name         VARCHAR(255) NOT NULL,                           -- the event's declared name, e.g. sighting.reported
    body         TEXT         NOT NULL,                           -- the JSON envelope (rule E8), as the transport carries it
    created_at   TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    published_at TIMESTAMP WITH TIME ZONE,                        -- null until a relay published it (Retention.MARK keeps the row)
    error        VARCHAR(2000),                                   -- set, with published_at, when the transport refused the event for good
    lease_owner  VARCHAR(128),                                    -- Claim.LEASE only: the relay that claimed the row
    lease_until  TIMESTAMP WITH TIME ZONE                         -- Claim.LEASE only: when the claim lapses
);
-- The relay reads unpublished rows in id order.
CREATE INDEX IF NOT EXISTS weft_outbox_unpublished ON weft_outbox (id) WHERE published_at IS NULL;
