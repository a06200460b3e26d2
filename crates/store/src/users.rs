//! Users: people who can log in. Global across clinics.

use crate::{StoreResult, exec, get, ms, one, one_as, ts};
use domain::{Email, PersonName, UserId};
use sea_orm::{ConnectionTrait, QueryResult};

/// A user as stored. The password hash never leaves the store crate's callers' auth code.
#[derive(Clone, serde::Serialize)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    #[serde(skip)]
    pub password_hash: Option<String>,
    pub is_platform_admin: bool,
    pub is_patient: bool,
    pub is_active: bool,
    pub created_at: jiff::Timestamp,
    /// When the account proved it receives mail at `email` (a confirmation or reset link).
    pub email_verified_at: Option<jiff::Timestamp>,
    /// The mobile number (E.164) texts go to, if the person gave one.
    pub phone: Option<String>,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("password_hash", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// What creating a user needs.
pub struct NewUser<'a> {
    pub email: &'a Email,
    pub name: &'a PersonName,
    pub password_hash: Option<String>,
    pub is_platform_admin: bool,
    pub is_patient: bool,
}

const COLS: &str = "id, email, name, password_hash, is_platform_admin, is_patient, is_active, \
    created_at, email_verified_at, phone";
/// `COLS` of a `users u` in a join.
pub(crate) const COLS_U: &str = "u.id, u.email, u.name, u.password_hash, u.is_platform_admin, \
    u.is_patient, u.is_active, u.created_at, u.email_verified_at, u.phone";

pub(crate) fn row(r: &QueryResult) -> StoreResult<User> {
    Ok(User {
        id: UserId::from_uuid(get(r, "id")?),
        email: get(r, "email")?,
        name: get(r, "name")?,
        password_hash: get(r, "password_hash")?,
        is_platform_admin: get(r, "is_platform_admin")?,
        is_patient: get(r, "is_patient")?,
        is_active: get(r, "is_active")?,
        created_at: ts(get(r, "created_at")?)?,
        email_verified_at: get::<Option<i64>>(r, "email_verified_at")?
            .map(ts)
            .transpose()?,
        phone: get(r, "phone")?,
    })
}

/// Inserts a user. A taken e-mail is `Conflict("users_email_key")`.
pub async fn insert<C: ConnectionTrait>(
    c: &C,
    new: NewUser<'_>,
    now: jiff::Timestamp,
) -> StoreResult<User> {
    let id = UserId::new();
    exec(
        c,
        "INSERT INTO users (id, email, name, password_hash, is_platform_admin, is_patient, is_active, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        vec![
            id.as_uuid().into(),
            new.email.as_str().into(),
            new.name.as_str().into(),
            new.password_hash.clone().into(),
            new.is_platform_admin.into(),
            new.is_patient.into(),
            true.into(),
            ms(now).into(),
        ],
    )
    .await?;
    Ok(User {
        id,
        email: new.email.as_str().to_owned(),
        name: new.name.as_str().to_owned(),
        password_hash: new.password_hash,
        is_platform_admin: new.is_platform_admin,
        is_patient: new.is_patient,
        is_active: true,
        created_at: now,
        email_verified_at: None,
        phone: None,
    })
}

/// Sets (or clears) the user's mobile number; false when there is no such user.
pub async fn set_phone<C: ConnectionTrait>(
    c: &C,
    id: UserId,
    phone: Option<&domain::phone::MobileNumber>,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "UPDATE users SET phone = $1 WHERE id = $2",
        vec![
            phone.map(|p| p.as_str().to_owned()).into(),
            id.as_uuid().into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// One user by id.
pub async fn find<C: ConnectionTrait>(c: &C, id: UserId) -> StoreResult<Option<User>> {
    one_as(
        c,
        &format!("SELECT {COLS} FROM users WHERE id = $1"),
        vec![id.as_uuid().into()],
        row,
    )
    .await
}

/// One user by (normalised) e-mail.
pub async fn find_by_email<C: ConnectionTrait>(c: &C, email: &Email) -> StoreResult<Option<User>> {
    one_as(
        c,
        &format!("SELECT {COLS} FROM users WHERE email = $1"),
        vec![email.as_str().into()],
        row,
    )
    .await
}

/// The active patient accounts with the mobile number `phone` (E.164), newest first.
pub async fn patients_with_phone<C: ConnectionTrait>(c: &C, phone: &str) -> StoreResult<Vec<User>> {
    crate::all_as(
        c,
        &format!(
            "SELECT {COLS} FROM users WHERE phone = $1 AND is_patient = $2 AND is_active = $2 \
             ORDER BY created_at DESC LIMIT 5"
        ),
        vec![phone.into(), true.into()],
        row,
    )
    .await
}

/// Replaces a user's password hash.
pub async fn set_password<C: ConnectionTrait>(c: &C, id: UserId, hash: &str) -> StoreResult<()> {
    exec(
        c,
        "UPDATE users SET password_hash = $1 WHERE id = $2",
        vec![hash.into(), id.as_uuid().into()],
    )
    .await?;
    Ok(())
}

/// Records that the account receives mail at `email`, if that is still its address.
pub async fn set_email_verified<C: ConnectionTrait>(
    c: &C,
    id: UserId,
    email: &str,
    now: jiff::Timestamp,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "UPDATE users SET email_verified_at = $1 WHERE id = $2 AND email = $3 \
         AND email_verified_at IS NULL",
        vec![ms(now).into(), id.as_uuid().into(), email.into()],
    )
    .await?;
    Ok(n == 1)
}

/// Whether any platform admin exists.
pub async fn any_platform_admin<C: ConnectionTrait>(c: &C) -> StoreResult<bool> {
    Ok(one(
        c,
        "SELECT id FROM users WHERE is_platform_admin = $1 LIMIT 1",
        vec![true.into()],
    )
    .await?
    .is_some())
}
