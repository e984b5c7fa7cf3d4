//! Sealing what is still in clear, and re-sealing everything under a new
//! key. Both run in one write transaction: all values change or none.

use std::path::Path;

use diesel::prelude::*;

use super::Keyring;
use super::key_file::{self, SecretKey};
use super::seal::{self, TOTP};
use crate::db::schema::users;
use crate::db::{DbConn, write_tx};
use crate::error::AppError;

fn stored_secrets(conn: &mut DbConn) -> QueryResult<Vec<(i64, String)>> {
    users::table
        .filter(users::totp_secret.is_not_null())
        .select((users::id, users::totp_secret.assume_not_null()))
        .load(conn)
}

fn store(conn: &mut DbConn, id: i64, sealed: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::totp_secret.eq(sealed))
        .execute(conn)
}

/// Seals every TOTP secret still stored in clear (from before sealing
/// existed); returns how many. Run at every start.
pub fn seal_clear(conn: &mut DbConn, ring: &Keyring) -> QueryResult<usize> {
    // A plain read first: at a normal start nothing is in clear, and no
    // write transaction (SQLite's write lock) is taken for nothing.
    if clear_secrets(conn)?.is_empty() {
        return Ok(0);
    }
    write_tx(conn, |conn| {
        let clear = clear_secrets(conn)?;
        for (id, stored) in &clear {
            store(conn, *id, &ring.seal(TOTP, *id, stored))?;
        }
        Ok(clear.len())
    })
}

/// Secrets not yet in the sealed format.
fn clear_secrets(conn: &mut DbConn) -> QueryResult<Vec<(i64, String)>> {
    users::table
        .filter(users::totp_secret.is_not_null())
        .filter(users::totp_secret.not_like(seal::SEALED_LIKE))
        .select((users::id, users::totp_secret.assume_not_null()))
        .load(conn)
}

/// Whether any secret is sealed (under some key).
pub fn any_sealed(conn: &mut DbConn) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table.filter(users::totp_secret.like(seal::SEALED_LIKE)),
    ))
    .get_result(conn)
}

/// Re-seals every TOTP secret under `new` (values already under `new`
/// stay); fails, changing nothing, if one opens under neither key.
fn reseal_all(conn: &mut DbConn, old: &SecretKey, new: &SecretKey) -> Result<usize, AppError> {
    write_tx(conn, |conn| {
        let mut count = 0;
        for (id, stored) in stored_secrets(conn)? {
            let plain = if seal::is_sealed(&stored) {
                match seal::open(old, TOTP, id, &stored) {
                    Ok(plain) => plain,
                    Err(_) if seal::open(new, TOTP, id, &stored).is_ok() => continue,
                    Err(e) => {
                        return Err(AppError::Internal(format!(
                            "user {id}'s TOTP secret: {e}; nothing was changed"
                        )));
                    }
                }
            } else {
                stored
            };
            store(conn, id, &seal::seal(new, TOTP, id, &plain))?;
            count += 1;
        }
        Ok(count)
    })
}

/// Rotates the key at `path`: a new key file is put in place atomically
/// (the old one kept as `.old`), every secret is re-sealed under it in one
/// transaction, then `.old` is removed; if the transaction fails the old
/// file is put back. Returns how many secrets were re-sealed.
pub fn rotate(conn: &mut DbConn, path: &Path) -> Result<usize, String> {
    let old = key_file::read(path)?;
    let new = SecretKey::generate();
    key_file::replace(path, &new)?;
    match reseal_all(conn, &old, &new) {
        Ok(count) => {
            key_file::forget_old(path)?;
            Ok(count)
        }
        Err(e) => {
            let restored = key_file::restore_old(path)
                .map(|()| "the old key file is back in place".to_owned())
                .unwrap_or_else(|r| format!("restoring the old key file failed: {r}"));
            Err(format!("{e}; {restored}"))
        }
    }
}
