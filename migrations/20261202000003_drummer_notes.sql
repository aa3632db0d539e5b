-- The drummer's notes are the drummer's: a column of their own, so that the
-- manager's song notes and the drummer's never overwrite each other.
ALTER TABLE songs ADD COLUMN drummer_notes TEXT NOT NULL DEFAULT '';

-- The overview's order (newest show first, then by creation): its pages
-- read an index range instead of sorting every show.
CREATE INDEX setlists_overview ON setlists (show_date, created_at, id);

-- The same split in the library: the song's notes, and the drummer's.
ALTER TABLE library_songs ADD COLUMN drummer_notes TEXT NOT NULL DEFAULT '';
