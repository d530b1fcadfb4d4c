-- fpshot store schema for PostgreSQL, version 1. Mirrors migrations/0001_init.sql (SQLite);
-- times are Unix nanoseconds (BIGINT), JSON is kept as the text the caller gave.

CREATE TABLE accounts (
    id      TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    created BIGINT NOT NULL
);

CREATE TABLE access_keys (
    id         TEXT PRIMARY KEY,
    secret     TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    enabled    BOOLEAN NOT NULL,
    created    BIGINT NOT NULL
);
CREATE INDEX access_keys_account ON access_keys (account_id);

CREATE TABLE nonces (
    key_id  TEXT NOT NULL,
    nonce   TEXT NOT NULL,
    expires BIGINT NOT NULL,
    PRIMARY KEY (key_id, nonce)
);
CREATE INDEX nonces_expires ON nonces (expires);

CREATE TABLE pipelines (
    seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE,
    account_id     TEXT NOT NULL,
    name           TEXT NOT NULL,
    state          TEXT NOT NULL,
    speed          TEXT NOT NULL,
    speed_level    BIGINT NOT NULL,
    quota_allocate BIGINT NOT NULL,
    role           TEXT NOT NULL,
    notify_config  TEXT NOT NULL,
    extend_config  TEXT NOT NULL,
    priority       BIGINT NOT NULL,
    is_default     BOOLEAN NOT NULL,
    created        BIGINT NOT NULL
);
CREATE UNIQUE INDEX pipelines_one_default ON pipelines (account_id) WHERE is_default;
CREATE INDEX pipelines_account ON pipelines (account_id, created, seq);

CREATE TABLE fpdbs (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    account_id  TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    model_id    BIGINT NOT NULL,
    config      TEXT NOT NULL,
    status      TEXT NOT NULL,
    epoch       BIGINT NOT NULL,
    created     BIGINT NOT NULL
);
CREATE INDEX fpdbs_account ON fpdbs (account_id, created, seq);

-- `priority` and `paused` copy the pipeline's; UpdatePipeline rewrites them in its transaction
-- (enqueue reads the pipeline FOR SHARE, so the two cannot cross).
CREATE TABLE jobs (
    seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
    created       BIGINT NOT NULL,
    finished      BIGINT,
    attempt       BIGINT NOT NULL,
    priority      BIGINT NOT NULL,
    paused        BOOLEAN NOT NULL,
    not_before    BIGINT NOT NULL,
    worker        TEXT,
    lease_expires BIGINT
);
CREATE INDEX jobs_claim ON jobs (priority DESC, seq) WHERE status = 'Queuing' AND NOT paused;
CREATE INDEX jobs_lease ON jobs (lease_expires) WHERE status = 'Analyzing';
CREATE INDEX jobs_account_kind ON jobs (account_id, kind, created DESC, seq DESC);
CREATE INDEX jobs_pipeline_unfinished ON jobs (pipeline_id)
    WHERE status IN ('Queuing', 'Analyzing');
CREATE INDEX jobs_fpdb_unfinished ON jobs (fpdb_id)
    WHERE status IN ('Queuing', 'Analyzing');
CREATE INDEX jobs_finished ON jobs (finished) WHERE finished IS NOT NULL;
