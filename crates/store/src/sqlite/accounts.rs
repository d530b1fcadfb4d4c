//! Accounts, access keys and signature nonces.

use super::SqliteStore;
use super::codec::{self, ACCOUNT_COLS, KEY_COLS, first, map_err, or_conflict, to_ns};
use crate::shared::{new_account, new_key, nonce_purge_due};
use crate::{AccessKey, Account, AccountStore, NonceStore, StoreError};
use async_trait::async_trait;
use rusqlite::params;
use time::OffsetDateTime;

type Result<T> = std::result::Result<T, StoreError>;

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_account(&self, name: &str) -> Result<Account> {
        let account = new_account(name);
        let row = account.clone();
        self.write_one(move |c| {
            c.prepare_cached("INSERT INTO accounts (id, name, created) VALUES (?1, ?2, ?3)")
                .and_then(|mut s| s.execute(params![row.id, row.name, to_ns(row.created)]))
                .map_err(map_err)?;
            Ok(())
        })
        .await?;
        Ok(account)
    }

    async fn get_account(&self, id: &str) -> Result<Option<Account>> {
        let id = id.to_string();
        self.read(move |c| {
            let sql = format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE id = ?1");
            let mut stmt = c.prepare_cached(&sql).map_err(map_err)?;
            first(&mut stmt, [id], codec::account)
        })
        .await
    }

    async fn create_key(&self, account_id: &str, key_id: &str, secret: &str) -> Result<AccessKey> {
        let key = new_key(account_id, key_id, secret);
        let row = key.clone();
        self.write_one(move |c| {
            let inserted = c
                .prepare_cached(
                    "INSERT INTO access_keys (id, secret, account_id, enabled, created) \
                     VALUES (?1, ?2, ?3, 1, ?4)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        row.id,
                        row.secret,
                        row.account_id,
                        to_ns(row.created)
                    ])
                });
            or_conflict(inserted, || format!("AccessKeyId {}", row.id)).map(|_| ())
        })
        .await?;
        Ok(key)
    }

    async fn get_key(&self, key_id: &str) -> Result<Option<AccessKey>> {
        let id = key_id.to_string();
        self.read(move |c| {
            let sql = format!("SELECT {KEY_COLS} FROM access_keys WHERE id = ?1");
            let mut stmt = c.prepare_cached(&sql).map_err(map_err)?;
            first(&mut stmt, [id], codec::access_key)
        })
        .await
    }

    async fn list_keys(&self) -> Result<Vec<AccessKey>> {
        self.read(|c| {
            let sql = format!("SELECT {KEY_COLS} FROM access_keys ORDER BY created, id");
            let mut stmt = c.prepare_cached(&sql).map_err(map_err)?;
            codec::collect(&mut stmt, [], codec::access_key)
        })
        .await
    }

    async fn set_key_enabled(&self, key_id: &str, enabled: bool) -> Result<bool> {
        let id = key_id.to_string();
        self.write_one(move |c| {
            let n = c
                .prepare_cached("UPDATE access_keys SET enabled = ?2 WHERE id = ?1")
                .and_then(|mut s| s.execute(params![id, enabled]))
                .map_err(map_err)?;
            Ok(n > 0)
        })
        .await
    }

    async fn delete_key(&self, key_id: &str) -> Result<bool> {
        let id = key_id.to_string();
        self.write_one(move |c| {
            let n = c
                .prepare_cached("DELETE FROM access_keys WHERE id = ?1")
                .and_then(|mut s| s.execute([id]))
                .map_err(map_err)?;
            Ok(n > 0)
        })
        .await
    }

    async fn count_accounts(&self) -> Result<u64> {
        self.read(|c| {
            let n: i64 = c
                .query_row("SELECT count(*) FROM accounts", [], |r| r.get(0))
                .map_err(map_err)?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }
}

#[async_trait]
impl NonceStore for SqliteStore {
    /// One small write through the group-committing writer: under load, all nonces that arrive
    /// while a commit runs share the next one, so the cost per request is a B-tree insert.
    /// Once a minute the same write also forgets expired nonces, so the table stays as small as
    /// the replay window even if nobody calls `purge_expired_nonces`.
    async fn record_nonce(
        &self,
        key_id: &str,
        nonce: &str,
        expires: OffsetDateTime,
    ) -> Result<bool> {
        let (key_id, nonce) = (key_id.to_string(), nonce.to_string());
        let now = OffsetDateTime::now_utc();
        let purge = nonce_purge_due(&self.nonce_purged_at, now);
        // Two statements, but a failed insert after the purge leaves nothing wrong behind.
        self.write_one(move |c| {
            if purge {
                delete_expired(c, now)?;
            }
            let n = c
                .prepare_cached(
                    "INSERT INTO nonces (key_id, nonce, expires) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (key_id, nonce) DO NOTHING",
                )
                .and_then(|mut s| s.execute(params![key_id, nonce, to_ns(expires)]))
                .map_err(map_err)?;
            Ok(n > 0)
        })
        .await
    }

    async fn purge_expired_nonces(&self, now: OffsetDateTime) -> Result<u64> {
        self.write_one(move |c| delete_expired(c, now)).await
    }
}

fn delete_expired(c: &rusqlite::Connection, now: OffsetDateTime) -> Result<u64> {
    let n = c
        .prepare_cached("DELETE FROM nonces WHERE expires < ?1")
        .and_then(|mut s| s.execute([to_ns(now)]))
        .map_err(map_err)?;
    Ok(n as u64)
}
