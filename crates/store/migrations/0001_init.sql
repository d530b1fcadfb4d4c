-- fpshot store schema, version 1. Times are Unix nanoseconds (INTEGER).

CREATE TABLE accounts (
    id      TEXT PRIMARY KEY NOT NULL,
    name    TEXT NOT NULL,
    created INTEGER NOT NULL
);

CREATE TABLE access_keys (
    id         TEXT PRIMARY KEY NOT NULL,
    secret     TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    enabled    INTEGER NOT NULL,
    created    INTEGER NOT NULL
);
CREATE INDEX access_keys_account ON access_keys (account_id);

-- Signature nonces seen within the timestamp window (replay protection).
CREATE TABLE nonces (
    key_id  TEXT NOT NULL,
    nonce   TEXT NOT NULL,
    expires INTEGER NOT NULL,
    PRIMARY KEY (key_id, nonce)
) WITHOUT ROWID;
CREATE INDEX nonces_expires ON nonces (expires);

CREATE TABLE pipelines (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT NOT NULL UNIQUE,
    account_id     TEXT NOT NULL,
    name           TEXT NOT NULL,
    state          TEXT NOT NULL,
    speed          TEXT NOT NULL,
    speed_level    INTEGER NOT NULL,
    quota_allocate INTEGER NOT NULL,
    role           TEXT NOT NULL,
    notify_config  TEXT NOT NULL,
    extend_config  TEXT NOT NULL,
    priority       INTEGER NOT NULL,
    is_default     INTEGER NOT NULL,
    created        INTEGER NOT NULL
);
-- Exactly one default pipeline per account, even with several processes on one file.
CREATE UNIQUE INDEX pipelines_one_default ON pipelines (account_id) WHERE is_default = 1;
CREATE INDEX pipelines_account ON pipelines (account_id, created, seq);

CREATE TABLE fpdbs (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    account_id  TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    model_id    INTEGER NOT NULL,
    config      TEXT NOT NULL,
    status      TEXT NOT NULL,
    epoch       INTEGER NOT NULL,
    created     INTEGER NOT NULL
);
CREATE INDEX fpdbs_account ON fpdbs (account_id, created, seq);

-- One queue for every job kind. `seq` is the FIFO order (never reused: AUTOINCREMENT).
-- `priority` and `paused` copy the pipeline's Priority and State; UpdatePipeline rewrites them
-- for the pipeline's unfinished jobs in the same transaction, so a claim always sees the
-- pipeline's current values while walking one index in claim order.
CREATE TABLE jobs (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    account_id    TEXT NOT NULL,
    kind          TEXT NOT NULL,
    pipeline_id   TEXT NOT NULL,
    fpdb_id       TEXT,
    user_data     TEXT,
    payload       TEXT NOT NULL,
    status        TEXT NOT NULL,
    result        TEXT,
    code          TEXT,
    message       TEXT,
    created       INTEGER NOT NULL,
    finished      INTEGER,
    attempt       INTEGER NOT NULL,
    priority      INTEGER NOT NULL,
    paused        INTEGER NOT NULL,
    not_before    INTEGER NOT NULL,
    worker        TEXT,
    lease_expires INTEGER
);
CREATE INDEX jobs_claim ON jobs (paused, priority DESC, seq) WHERE status = 'Queuing';
CREATE INDEX jobs_lease ON jobs (lease_expires) WHERE status = 'Analyzing';
CREATE INDEX jobs_account_kind ON jobs (account_id, kind, created DESC, seq DESC);
CREATE INDEX jobs_pipeline_unfinished ON jobs (pipeline_id)
    WHERE status IN ('Queuing', 'Analyzing');
CREATE INDEX jobs_fpdb_unfinished ON jobs (fpdb_id)
    WHERE status IN ('Queuing', 'Analyzing');
CREATE INDEX jobs_finished ON jobs (finished) WHERE finished IS NOT NULL;
