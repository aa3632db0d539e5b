-- Where a deleted setlist stood in the overview: a page's cursor (`?before=`)
-- that names it still finds the shows after it. NULL for setlists deleted
-- before this column existed.
ALTER TABLE deleted_setlists ADD COLUMN show_date TEXT;
ALTER TABLE deleted_setlists ADD COLUMN created_at BIGINT;
