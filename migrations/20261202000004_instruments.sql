-- What a member plays (vocals, guitar, drums…), apart from their role: the
-- role says what they may do in the app, the instrument who they are on stage.
ALTER TABLE users ADD COLUMN instrument TEXT NOT NULL DEFAULT '';
