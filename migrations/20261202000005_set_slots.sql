-- A set's slot on stage (issue 18: "3 min over"): seconds per set, comma-
-- separated in the order of set_names, empty for a set without one; '' when
-- no set has a slot, which every setlist so far is.
ALTER TABLE setlists ADD COLUMN set_slots TEXT NOT NULL DEFAULT '';
