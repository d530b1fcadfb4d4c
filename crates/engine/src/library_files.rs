//! Where a library's index files live: `<data>/index/<FpDBId>/<epoch>/`. A purge starts a new,
//! empty epoch directory and removes the old one afterwards, so emptying a library costs the
//! same whatever its size (the caller never waits for per-entry deletes).

use crate::{Engine, EngineError};
use std::io;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct LibraryFiles {
    root: PathBuf,
}

impl LibraryFiles {
    pub fn new(root: PathBuf) -> Self {
        LibraryFiles { root }
    }

    pub fn library_dir(&self, fpdb_id: &str) -> PathBuf {
        self.root.join(fpdb_id)
    }

    pub fn epoch_dir(&self, fpdb_id: &str, epoch: i64) -> PathBuf {
        self.library_dir(fpdb_id).join(epoch.to_string())
    }

    /// Creates the (empty) storage of one epoch; idempotent.
    pub fn create_epoch(&self, fpdb_id: &str, epoch: i64) -> io::Result<PathBuf> {
        let dir = self.epoch_dir(fpdb_id, epoch);
        std::fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    /// Removes every epoch of a library older than `keep`; idempotent.
    pub fn remove_epochs_before(&self, fpdb_id: &str, keep: i64) -> io::Result<()> {
        let lib = self.library_dir(fpdb_id);
        let entries = match std::fs::read_dir(&lib) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let older = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<i64>().ok())
                .is_some_and(|e| e < keep);
            if older {
                remove_dir_if_exists(&entry.path())?;
            }
        }
        Ok(())
    }

    /// Removes all of a library's files; idempotent.
    pub fn destroy(&self, fpdb_id: &str) -> io::Result<()> {
        remove_dir_if_exists(&self.library_dir(fpdb_id))
    }
}

impl Engine {
    /// Runs blocking work on the library files off the async threads.
    pub(crate) async fn on_files<T, F>(&self, work: F) -> Result<T, EngineError>
    where
        T: Send + 'static,
        F: FnOnce(&LibraryFiles) -> io::Result<T> + Send + 'static,
    {
        let files = self.files().clone();
        tokio::task::spawn_blocking(move || work(&files))
            .await
            .map_err(io::Error::other)?
            .map_err(EngineError::Files)
    }
}

fn remove_dir_if_exists(dir: &Path) -> io::Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_are_created_and_removed_idempotently() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let files = LibraryFiles::new(tmp.path().join("index"));
        let e0 = files.create_epoch("lib", 0).expect("create");
        std::fs::write(e0.join("segment"), b"x").expect("write");
        files.create_epoch("lib", 1).expect("create");
        files.remove_epochs_before("lib", 1).expect("remove");
        assert!(!e0.exists());
        assert!(files.epoch_dir("lib", 1).exists());
        files.remove_epochs_before("lib", 1).expect("again");
        files.destroy("lib").expect("destroy");
        files.destroy("lib").expect("destroy again");
        assert!(!files.library_dir("lib").exists());
    }
}
