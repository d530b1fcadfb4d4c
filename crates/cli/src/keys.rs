//! Accounts and AccessKey pairs: the root key made at first start, and `fpshot key ...`.

use anyhow::{Context, bail};
use fpshot_store::{AccessKey, Store};
use rand::RngExt;
use rand::distr::Alphanumeric;
use std::io::Write;
use std::path::Path;

pub const ROOT_KEY_FILE: &str = "root-access-key.json";

fn random_alnum(n: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

/// A new key pair in the shape Alibaba Cloud keys have (`LTAI…` id, 30-character secret).
pub fn generate_key() -> (String, String) {
    (format!("LTAI{}", random_alnum(20)), random_alnum(30))
}

pub fn key_json(k: &AccessKey) -> serde_json::Value {
    serde_json::json!({
        "AccessKeyId": k.id,
        "AccessKeySecret": k.secret,
        "AccountId": k.account_id,
        "Enabled": k.enabled,
    })
}

/// On first start (no account yet) creates the root account and its key: from
/// `FPSHOT_ACCESS_KEY_ID`/`FPSHOT_ACCESS_KEY_SECRET` when set, else generated, saved to the data
/// dir (mode 0600) and printed once. Later starts add the key from the environment if it is new.
pub async fn bootstrap_root(store: &dyn Store, data_dir: &Path) -> anyhow::Result<()> {
    let from_env = match (
        std::env::var("FPSHOT_ACCESS_KEY_ID"),
        std::env::var("FPSHOT_ACCESS_KEY_SECRET"),
    ) {
        (Ok(id), Ok(secret)) if !id.is_empty() && !secret.is_empty() => Some((id, secret)),
        (Ok(_), Err(_)) | (Err(_), Ok(_)) => {
            bail!("set both FPSHOT_ACCESS_KEY_ID and FPSHOT_ACCESS_KEY_SECRET, or neither")
        }
        _ => None,
    };
    if store.count_accounts().await? == 0 {
        let account = store.create_account("root").await?;
        let generated = from_env.is_none();
        let (id, secret) = from_env.unwrap_or_else(generate_key);
        let key = store.create_key(&account.id, &id, &secret).await?;
        if generated {
            let path = data_dir.join(ROOT_KEY_FILE);
            write_private(&path, &serde_json::to_vec_pretty(&key_json(&key))?)?;
            // Printed once, on stdout (never to the log): the operator needs it to sign requests.
            println!(
                "fpshot: created the root AccessKey\n  AccessKeyId:     {}\n  AccessKeySecret: {}\n\
                 It is saved in {} (mode 0600). Give both to the SDK (access_key_id / access_key_secret)\n\
                 with endpoint '<listen address>' and protocol 'http'.",
                key.id,
                key.secret,
                path.display()
            );
        }
        return Ok(());
    }
    if let Some((id, secret)) = from_env {
        match store.get_key(&id).await? {
            Some(k) if k.secret != secret => {
                tracing::warn!(key = %id, "FPSHOT_ACCESS_KEY_SECRET differs from the stored secret of this key; the stored one stays")
            }
            Some(_) => {}
            None => {
                let root = store
                    .list_keys()
                    .await?
                    .into_iter()
                    .next()
                    .map(|k| k.account_id);
                let account = match root {
                    Some(a) => a,
                    None => store.create_account("root").await?.id,
                };
                store.create_key(&account, &id, &secret).await?;
            }
        }
    }
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

#[derive(clap::Subcommand)]
pub enum KeyCommand {
    /// Creates an AccessKey pair (for the root account unless told otherwise).
    Create {
        /// Create a new account with this name and give the key to it.
        #[arg(long)]
        new_account: Option<String>,
        /// Give the key to this existing account.
        #[arg(long, conflicts_with = "new_account")]
        account: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Lists every key with its account and state.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Refuses a key's requests until it is enabled again.
    Disable {
        key_id: String,
    },
    Enable {
        key_id: String,
    },
    /// Removes a key for good.
    Delete {
        key_id: String,
    },
}

pub async fn run(store: &dyn Store, cmd: KeyCommand) -> anyhow::Result<()> {
    match cmd {
        KeyCommand::Create {
            new_account,
            account,
            json,
        } => {
            let account_id = match (new_account, account) {
                (Some(name), _) => store.create_account(&name).await?.id,
                (None, Some(id)) => match store.get_account(&id).await? {
                    Some(a) => a.id,
                    None => bail!("no account {id}"),
                },
                (None, None) => match store.list_keys().await?.into_iter().next() {
                    Some(k) => k.account_id,
                    None => store.create_account("root").await?.id,
                },
            };
            let (id, secret) = generate_key();
            let key = store.create_key(&account_id, &id, &secret).await?;
            if json {
                println!("{}", key_json(&key));
            } else {
                println!(
                    "AccessKeyId:     {}\nAccessKeySecret: {}\nAccountId:       {}",
                    key.id, key.secret, key.account_id
                );
            }
        }
        KeyCommand::List { json } => {
            let keys = store.list_keys().await?;
            if json {
                let all: Vec<_> = keys.iter().map(key_json).collect();
                println!("{}", serde_json::Value::Array(all));
            } else {
                for k in keys {
                    let state = if k.enabled { "enabled" } else { "disabled" };
                    println!("{}  account {}  {state}", k.id, k.account_id);
                }
            }
        }
        KeyCommand::Disable { key_id } => set_enabled(store, &key_id, false).await?,
        KeyCommand::Enable { key_id } => set_enabled(store, &key_id, true).await?,
        KeyCommand::Delete { key_id } => {
            if !store.delete_key(&key_id).await? {
                bail!("no key {key_id}");
            }
        }
    }
    Ok(())
}

async fn set_enabled(store: &dyn Store, key_id: &str, enabled: bool) -> anyhow::Result<()> {
    if !store.set_key_enabled(key_id, enabled).await? {
        bail!("no key {key_id}");
    }
    Ok(())
}
