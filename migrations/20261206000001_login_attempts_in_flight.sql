-- The login throttle tells attempts in flight from failures: when failures
-- and attempts in flight together fill a limit that failures alone have not,
-- the next waits a second, not the window. Until now `failures` counted both;
-- a window in progress keeps its count as failures.
ALTER TABLE login_throttle ADD COLUMN in_flight BIGINT NOT NULL DEFAULT 0;
