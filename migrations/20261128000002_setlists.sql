CREATE TABLE setlists (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    venue      TEXT NOT NULL,
    show_date  TEXT NOT NULL, -- YYYY-MM-DD, sorts as text
    notes      TEXT NOT NULL,
    version    BIGINT NOT NULL,
    -- Kept in step with the songs on every write so the overview needs no GROUP BY.
    song_count          BIGINT NOT NULL,
    total_duration_secs BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX setlists_show_date ON setlists (show_date);

CREATE TABLE songs (
    id            TEXT PRIMARY KEY,
    setlist_id    TEXT NOT NULL REFERENCES setlists (id) ON DELETE CASCADE,
    position      BIGINT NOT NULL,
    title         TEXT NOT NULL,
    artist        TEXT NOT NULL,
    duration_secs BIGINT NOT NULL,
    bpm           BIGINT,
    song_key      TEXT NOT NULL,
    notes         TEXT NOT NULL
);
CREATE INDEX songs_setlist ON songs (setlist_id, position);
