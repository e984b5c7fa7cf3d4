//! The key file: 32 random bytes, base64 on one line, owner-only (0600).
//! Created on first start when missing (without ever overwriting one that
//! another process made meanwhile), replaced atomically on rotation.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::Rng;

/// The key file's name under the data folder when `PORTAL_SECRET_KEY_FILE`
/// is not set.
pub const FILE_NAME: &str = "secret.key";

/// A 256-bit sealing key. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey([u8; 32]);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey([redacted])")
    }
}

impl SecretKey {
    /// A new random key.
    pub fn generate() -> SecretKey {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        SecretKey(bytes)
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    fn encode(&self) -> String {
        format!("{}\n", STANDARD.encode(self.0))
    }

    fn decode(text: &str, path: &Path) -> Result<SecretKey, String> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| format!("{}: not a key (base64 expected)", path.display()))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| format!("{}: a key is 32 bytes", path.display()))?;
        Ok(SecretKey(bytes))
    }
}

/// The `.old` file kept beside `path` while a rotation is under way.
pub fn old_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".old");
    PathBuf::from(name)
}

/// Reads the key at `path`.
pub fn read(path: &Path) -> Result<SecretKey, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let key = SecretKey::decode(&text, path)?;
    if let Ok(meta) = fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(path = %path.display(), "secret key file is readable by others; chmod 600 it");
    }
    Ok(key)
}

/// Writes `key` to a new owner-only file beside `path` and returns that
/// file's path.
fn write_temporary(path: &Path, key: &SecretKey) -> Result<PathBuf, String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".new-{}", std::process::id()));
    let mut suffix = crate::services::tokens::new_token();
    suffix.truncate(8);
    name.push(suffix);
    let temporary = PathBuf::from(name);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)
        .map_err(|e| format!("{}: {e}", temporary.display()))?;
    file.write_all(key.encode().as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("{}: {e}", temporary.display()))?;
    Ok(temporary)
}

/// The key at `path`, created (0600) when there is none; `true` when it
/// was created now. Two processes starting at once end with one key: the
/// file is linked into place only if nothing is there yet.
pub fn load_or_create(path: &Path) -> Result<(SecretKey, bool), String> {
    match fs::metadata(path) {
        Ok(_) => return Ok((read(path)?, false)),
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(format!("{}: {e}", path.display())),
    }
    let key = SecretKey::generate();
    let temporary = write_temporary(path, &key)?;
    let linked = fs::hard_link(&temporary, path);
    let _ = fs::remove_file(&temporary);
    match linked {
        Ok(()) => Ok((key, true)),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok((read(path)?, false)),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Puts `new` at `path` atomically, keeping the current file as `.old`
/// (see [`old_path`]) until the caller calls [`forget_old`] or
/// [`restore_old`].
pub fn replace(path: &Path, new: &SecretKey) -> Result<(), String> {
    let old = old_path(path);
    // A leftover `.old` means a rotation stopped before its commit: it may
    // hold the key every value is still sealed under. Never overwrite it.
    if old.exists() {
        return Err(format!(
            "{} exists: an earlier rotation did not finish; values may still be sealed under it. \
             Start the portal to check which key opens them, then remove the key file that does not",
            old.display()
        ));
    }
    fs::hard_link(path, &old).map_err(|e| format!("{}: {e}", old.display()))?;
    let temporary = write_temporary(path, new)?;
    fs::rename(&temporary, path).map_err(|e| {
        let _ = fs::remove_file(&temporary);
        format!("{}: {e}", path.display())
    })
}

/// Removes the `.old` key once nothing is sealed under it.
pub fn forget_old(path: &Path) -> Result<(), String> {
    let old = old_path(path);
    fs::remove_file(&old).map_err(|e| format!("{}: {e}", old.display()))
}

/// Puts the `.old` key back (a rotation that did not commit).
pub fn restore_old(path: &Path) -> Result<(), String> {
    let old = old_path(path);
    fs::rename(&old, path).map_err(|e| format!("{}: {e}", old.display()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_key_is_created_owner_only_and_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys").join(FILE_NAME);
        let (key, created) = load_or_create(&path).unwrap();
        assert!(created);
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{mode:o}");
        let (again, created) = load_or_create(&path).unwrap();
        assert!(!created);
        assert_eq!(again, key);
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
    }

    #[test]
    fn replace_keeps_the_old_key_until_told() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let (old, _) = load_or_create(&path).unwrap();
        let new = SecretKey::generate();
        replace(&path, &new).unwrap();
        assert_eq!(read(&path).unwrap(), new);
        assert_eq!(read(&old_path(&path)).unwrap(), old);
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        restore_old(&path).unwrap();
        assert_eq!(read(&path).unwrap(), old);
        replace(&path, &new).unwrap();
        forget_old(&path).unwrap();
        assert!(!old_path(&path).exists());
    }

    #[test]
    fn debug_hides_the_key() {
        let key = SecretKey::generate();
        let shown = format!("{key:?}");
        assert!(!shown.contains(&STANDARD.encode(key.bytes())));
        assert_eq!(shown, "SecretKey([redacted])");
    }
}
