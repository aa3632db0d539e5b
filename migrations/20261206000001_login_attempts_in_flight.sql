-- The login throttle tells attempts in flight from failures: attempts in
-- flight alone that fill a limit make the next wait a second, not the window.
-- Until now `failures` counted both; a window in progress keeps its count as failures.
ALTER TABLE login_throttle ADD COLUMN in_flight BIGINT NOT NULL DEFAULT 0;
