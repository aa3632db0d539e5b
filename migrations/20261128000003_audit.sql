-- The audit trail. Rows are written in the transaction of the change they
-- record and never hold a password, a token or a cookie value.
CREATE TABLE audit_events (
    id         TEXT PRIMARY KEY, -- UUIDv7: sorts by time, doubles as the paging cursor
    at         BIGINT NOT NULL,
    kind       TEXT NOT NULL,
    actor_id   TEXT,
    subject_id TEXT,
    ip         TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    detail     TEXT NOT NULL -- a JSON object
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_actor ON audit_events (actor_id);
CREATE INDEX audit_events_subject ON audit_events (subject_id);
