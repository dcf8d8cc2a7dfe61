-- Weft's dead letters on PostgreSQL (docs/WIRE.md, ADR 0042). One row per event a handler gave up on.
-- Run it once (JdbcDeadLetterStore.Builder.createTable(true) runs it on start; it is idempotent).
CREATE TABLE IF NOT EXISTS weft_dead_letters (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- the order letters were parked in
    letter_id  VARCHAR(64)  NOT NULL UNIQUE,                   -- the letter's id (a UUID): list, replay and purge name it
    handler    VARCHAR(255) NOT NULL,                          -- who gave up: a handler's name, transport:<name>, worker:<group>
    event_id   VARCHAR(64)  NOT NULL,                          -- the event's id (a UUID); kept when it is replayed
    name       VARCHAR(255) NOT NULL,                          -- the event's declared name, e.g. sighting.reported
    body       TEXT         NOT NULL,                          -- the JSON envelope (rule E8), as a transport carries it
    error      TEXT         NOT NULL,                          -- the last try's error: class, message, stack trace (at most 8,000 characters)
    attempts   INTEGER      NOT NULL,                          -- how many tries were made
    failed_at  TIMESTAMP WITH TIME ZONE NOT NULL               -- when it was parked
);
-- weft dead list/purge --handler, and a bus's replay by handler.
CREATE INDEX IF NOT EXISTS weft_dead_letters_handler ON weft_dead_letters (handler, seq);
