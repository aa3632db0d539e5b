-- The band's repertoire (issue 18): every song once. A setlist's songs keep
-- their own copy of the fields (a show may play a song in another key, with
-- notes for that night) and point at their library entry, which is how the
-- library knows when a song was last played.
CREATE TABLE library_songs (
    id            TEXT PRIMARY KEY,
    -- lower(trim(...)) of title and artist, computed by the database in every
    -- query: one entry per song and artist, whatever the capitals.
    match_title   TEXT NOT NULL,
    match_artist  TEXT NOT NULL,
    title         TEXT NOT NULL,
    artist        TEXT NOT NULL,
    song_key      TEXT NOT NULL,
    bpm           BIGINT,
    duration_secs BIGINT NOT NULL,
    notes         TEXT NOT NULL,
    -- Comma-separated, each trimmed and lower-case: "ballad,encore".
    tags          TEXT NOT NULL,
    version       BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX library_songs_match ON library_songs (match_title, match_artist);

ALTER TABLE songs ADD COLUMN library_id TEXT REFERENCES library_songs (id) ON DELETE SET NULL;
CREATE INDEX songs_library ON songs (library_id);

-- Today's setlist songs move into the library: one entry per title and
-- artist, with the fields of one of its rows (its id becomes the entry's).
-- Nothing is lost: every setlist song keeps all of its own fields.
INSERT INTO library_songs (id, match_title, match_artist, title, artist, song_key, bpm,
                           duration_secs, notes, tags, version, created_at, updated_at)
SELECT s.id, lower(trim(s.title)), lower(trim(s.artist)), trim(s.title), trim(s.artist),
       s.song_key, s.bpm, s.duration_secs, '', '', 1, st.created_at, st.created_at
FROM songs s JOIN setlists st ON st.id = s.setlist_id
WHERE s.id IN (SELECT MIN(id) FROM songs GROUP BY lower(trim(title)), lower(trim(artist)));

UPDATE songs SET library_id = (
    SELECT l.id FROM library_songs l
    WHERE l.match_title = lower(trim(songs.title)) AND l.match_artist = lower(trim(songs.artist)));

