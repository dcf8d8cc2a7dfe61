-- Weft's transactional outbox on H2 2.x (docs/WIRE.md, ADR 0040). One row per event.
-- Run it once (JdbcOutbox.Builder.createTable(true) runs it on start; it is idempotent).
CREATE TABLE IF NOT EXISTS weft_outbox (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- relay order: taken when the transaction writes its events
    event_id     VARCHAR(64)  NOT NULL,                           -- the event's id (a UUID): consumers de-duplicate by it
    name         VARCHAR(255) NOT NULL,                           -- the event's declared name, e.g. sighting.reported
    body         CHARACTER VARYING NOT NULL,                      -- the JSON envelope (rule E8); H2 keeps at most 1,000,000 characters
    created_at   TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    published_at TIMESTAMP WITH TIME ZONE,                        -- null until a relay published it (Retention.MARK keeps the row)
    error        VARCHAR(2000),                                   -- set, with published_at, when the transport refused the event for good
    lease_owner  VARCHAR(128),                                    -- Claim.LEASE only: the relay that claimed the row
    lease_until  TIMESTAMP WITH TIME ZONE                         -- Claim.LEASE only: when the claim lapses
);
-- The relay reads unpublished rows in id order through the primary key. No index on published_at:
-- H2 2.5.252 returns no rows for SELECT .. FOR UPDATE SKIP LOCKED when it reads through such an
-- index and the first rows are locked by another relay (docs/WIRE.md), so the relays would stall.
-- With Retention.MARK, delete old published rows (JdbcOutbox.deletePublishedBefore) to keep the scan short.
