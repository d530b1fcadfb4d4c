//! Accounts, access keys and signature nonces on PostgreSQL.

use super::PgStore;
use super::codec::{self, ACCOUNT_COLS, KEY_COLS, map_err, or_conflict, to_ns};
use crate::shared::{new_account, new_key, nonce_purge_due};
use crate::{AccessKey, Account, AccountStore, NonceStore, StoreError};
use async_trait::async_trait;
use time::OffsetDateTime;

type Result<T> = std::result::Result<T, StoreError>;

#[async_trait]
impl AccountStore for PgStore {
    async fn create_account(&self, name: &str) -> Result<Account> {
        let account = new_account(name);
        self.timed(async {
            let c = self.client().await?;
            let st = c
                .prepare_cached("INSERT INTO accounts (id, name, created) VALUES ($1, $2, $3)")
                .await
                .map_err(map_err)?;
            c.execute(&st, &[&account.id, &account.name, &to_ns(account.created)])
                .await
                .map_err(map_err)?;
            Ok(())
        })
        .await?;
        Ok(account)
    }

    async fn get_account(&self, id: &str) -> Result<Option<Account>> {
        self.timed(async {
            let c = self.client().await?;
            let sql = format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE id = $1");
            let st = c.prepare_cached(&sql).await.map_err(map_err)?;
            let row = c.query_opt(&st, &[&id]).await.map_err(map_err)?;
            row.as_ref().map(codec::account).transpose()
        })
        .await
    }

    async fn create_key(&self, account_id: &str, key_id: &str, secret: &str) -> Result<AccessKey> {
        let key = new_key(account_id, key_id, secret);
        self.timed(async {
            let c = self.client().await?;
            let st = c
                .prepare_cached(
                    "INSERT INTO access_keys (id, secret, account_id, enabled, created) \
                     VALUES ($1, $2, $3, TRUE, $4)",
                )
                .await
                .map_err(map_err)?;
            let inserted = c
                .execute(
                    &st,
                    &[&key.id, &key.secret, &key.account_id, &to_ns(key.created)],
                )
                .await;
            or_conflict(inserted, || format!("AccessKeyId {}", key.id)).map(|_| ())
        })
        .await?;
        Ok(key)
    }

    async fn get_key(&self, key_id: &str) -> Result<Option<AccessKey>> {
        self.timed(async {
            let c = self.client().await?;
            let sql = format!("SELECT {KEY_COLS} FROM access_keys WHERE id = $1");
            let st = c.prepare_cached(&sql).await.map_err(map_err)?;
            let row = c.query_opt(&st, &[&key_id]).await.map_err(map_err)?;
            row.as_ref().map(codec::access_key).transpose()
        })
        .await
    }

    async fn list_keys(&self) -> Result<Vec<AccessKey>> {
        self.timed(async {
            let c = self.client().await?;
            let sql = format!("SELECT {KEY_COLS} FROM access_keys ORDER BY created, id");
            let rows = c.query(&sql, &[]).await.map_err(map_err)?;
            codec::all(&rows, codec::access_key)
        })
        .await
    }

    async fn set_key_enabled(&self, key_id: &str, enabled: bool) -> Result<bool> {
        self.timed(async {
            let c = self.client().await?;
            let n = c
                .execute(
                    "UPDATE access_keys SET enabled = $2 WHERE id = $1",
                    &[&key_id, &enabled],
                )
                .await
                .map_err(map_err)?;
            Ok(n > 0)
        })
        .await
    }

    async fn delete_key(&self, key_id: &str) -> Result<bool> {
        self.timed(async {
            let c = self.client().await?;
            let n = c
                .execute("DELETE FROM access_keys WHERE id = $1", &[&key_id])
                .await
                .map_err(map_err)?;
            Ok(n > 0)
        })
        .await
    }

    async fn count_accounts(&self) -> Result<u64> {
        self.timed(async {
            let c = self.client().await?;
            let row = c
                .query_one("SELECT count(*) FROM accounts", &[])
                .await
                .map_err(map_err)?;
            let n: i64 = row.try_get(0).map_err(map_err)?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }
}

#[async_trait]
impl NonceStore for PgStore {
    /// One INSERT per nonce; PostgreSQL flushes concurrent commits together. Expired nonces are
    /// forgotten once a minute on the way.
    async fn record_nonce(
        &self,
        key_id: &str,
        nonce: &str,
        expires: OffsetDateTime,
    ) -> Result<bool> {
        let now = OffsetDateTime::now_utc();
        if nonce_purge_due(&self.nonce_purged_at, now) {
            self.purge_expired_nonces(now).await?;
        }
        self.timed(async {
            let c = self.client().await?;
            let st = c
                .prepare_cached(
                    "INSERT INTO nonces (key_id, nonce, expires) VALUES ($1, $2, $3) \
                     ON CONFLICT (key_id, nonce) DO NOTHING",
                )
                .await
                .map_err(map_err)?;
            let n = c
                .execute(&st, &[&key_id, &nonce, &to_ns(expires)])
                .await
                .map_err(map_err)?;
            Ok(n > 0)
        })
        .await
    }

    async fn purge_expired_nonces(&self, now: OffsetDateTime) -> Result<u64> {
        self.timed(async {
            let c = self.client().await?;
            c.execute("DELETE FROM nonces WHERE expires < $1", &[&to_ns(now)])
                .await
                .map_err(map_err)
        })
        .await
    }
}
