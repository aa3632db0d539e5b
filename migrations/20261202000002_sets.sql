-- Sets (issue 18): a show has one or more (Set 1, Set 2, Encore). A song
-- knows the index of its set; the setlist keeps the sets' names, one per
-- line ('' is one set called "Set 1", which every setlist so far is).
ALTER TABLE songs ADD COLUMN set_index BIGINT NOT NULL DEFAULT 0;
ALTER TABLE setlists ADD COLUMN set_names TEXT NOT NULL DEFAULT '';
