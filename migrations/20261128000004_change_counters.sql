-- One row per resource that server instances cache. Every write to the
-- resource bumps its counter in the write's own transaction, so an instance
-- learns with one cheap read that another instance changed something
-- (server/src/read_cache.rs).
CREATE TABLE change_counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

INSERT INTO change_counters (name, value) VALUES ('setlists', 0);
