-- The last version of each deleted setlist. A setlist made again with the
-- same id (a create sent again with its Idempotency-Key after its setlist was
-- deleted) continues from it, so a page that still holds the deleted one's
-- version is refused (409) instead of writing over the new one.
CREATE TABLE deleted_setlists (
    id TEXT PRIMARY KEY,
    version BIGINT NOT NULL
);
