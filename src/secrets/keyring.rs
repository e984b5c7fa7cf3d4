//! The server's view of the key file: the key is read once and read again
//! when the file changes (a rotation while serving), and a value sealed
//! under the key a rotation is replacing still opens from the `.old` file.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::key_file::{self, SecretKey};
use super::seal::{self, OpenError};
use crate::error::AppError;

/// What identifies one version of the key file.
type Stamp = Option<(u64, i64, i64)>;

fn stamp(path: &Path) -> Stamp {
    fs::metadata(path)
        .ok()
        .map(|m| (m.ino(), m.mtime(), m.mtime_nsec()))
}

#[derive(Debug)]
pub struct Keyring {
    path: PathBuf,
    current: Mutex<(SecretKey, Stamp)>,
}

impl Keyring {
    /// The key at `path`, created (owner-only) when missing; `true` when it
    /// was created now.
    pub fn open_or_create(path: &Path) -> Result<(Keyring, bool), String> {
        let (key, created) = key_file::load_or_create(path)?;
        let ring = Keyring {
            path: path.to_owned(),
            current: Mutex::new((key, stamp(path))),
        };
        Ok((ring, created))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The key in the file now (the last one read if the file cannot be
    /// read at the moment).
    pub fn key(&self) -> SecretKey {
        let now = stamp(&self.path);
        let mut current = match self.current.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if now != current.1
            && let Ok(key) = key_file::read(&self.path)
        {
            *current = (key, now);
        }
        current.0.clone()
    }

    /// Seals `plain` for `owner` under the current key.
    pub fn seal(&self, purpose: &str, owner: i64, plain: &str) -> String {
        seal::seal(&self.key(), purpose, owner, plain)
    }

    /// A token that vouches for `plain` (for `purpose`), as only this key
    /// can make: sealed, with no owner.
    pub fn vouch(&self, purpose: &str, plain: &str) -> String {
        seal::seal(&self.key(), purpose, 0, plain)
    }

    /// Whether `token` was made by `vouch` with this key for this `plain`.
    /// Nothing in clear is accepted, and a token of the key before a
    /// rotation vouches for nothing.
    pub fn vouches(&self, purpose: &str, token: &str, plain: &str) -> bool {
        seal::open(&self.key(), purpose, 0, token).is_ok_and(|opened| opened == plain)
    }

    /// Opens a stored value of `owner`. A value still in clear (stored
    /// before sealing existed, and sealed at the next start) is returned as
    /// it is.
    pub fn open(&self, purpose: &str, owner: i64, stored: &str) -> Result<String, AppError> {
        match seal::open(&self.key(), purpose, owner, stored) {
            Ok(plain) => Ok(plain),
            Err(OpenError::NotSealed) => Ok(stored.to_owned()),
            Err(OpenError::Refused) => {
                let old = key_file::old_path(&self.path);
                key_file::read(&old)
                    .ok()
                    .and_then(|key| seal::open(&key, purpose, owner, stored).ok())
                    .ok_or_else(|| {
                        AppError::Internal(format!(
                            "a sealed {purpose} of user {owner} does not open with {}",
                            self.path.display()
                        ))
                    })
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_rotated_file_is_picked_up_and_the_old_key_still_opens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        let (ring, created) = Keyring::open_or_create(&path).unwrap();
        assert!(created);
        let before = ring.seal(seal::TOTP, 1, "ABC");
        key_file::replace(&path, &SecretKey::generate()).unwrap();
        let after = ring.seal(seal::TOTP, 1, "DEF");
        assert_eq!(
            seal::open(&key_file::read(&path).unwrap(), seal::TOTP, 1, &after).unwrap(),
            "DEF"
        );
        assert_eq!(
            ring.open(seal::TOTP, 1, &before).unwrap(),
            "ABC",
            "from .old"
        );
        key_file::forget_old(&path).unwrap();
        assert!(ring.open(seal::TOTP, 1, &before).is_err());
        assert_eq!(ring.open(seal::TOTP, 1, "CLEAR").unwrap(), "CLEAR");
    }
}
