-- Failed sign-ins per account and per address, shared by every instance:
-- growing delays after repeated failures (see src/domain/throttle.rs).
CREATE TABLE login_failures (
    key             TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL,
    locked_until    INTEGER NOT NULL
);
CREATE INDEX login_failures_last ON login_failures (last_failure_at);
