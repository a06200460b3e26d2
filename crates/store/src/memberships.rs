//! Memberships: a user's role in a clinic.

use crate::{StoreResult, all, all_as, exec, get, ms, one, one_as, ts};
use domain::{ClinicId, MembershipId, Role, UserId};
use sea_orm::{ConnectionTrait, QueryResult};

/// A membership joined with its user and clinic names, as staff lists and switchers show it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Membership {
    pub id: MembershipId,
    pub clinic_id: ClinicId,
    pub clinic_name: String,
    pub user_id: UserId,
    pub user_name: String,
    pub user_email: String,
    pub role: Role,
    pub is_active: bool,
    pub created_at: jiff::Timestamp,
}

/// A doctor role counts only while the doctor's profile there is not suspended or rejected:
/// a suspension ends their access to the clinic at once, on every route that reads roles.
pub(crate) const IN_GOOD_STANDING: &str = "(m.role <> 'doctor' OR NOT EXISTS (SELECT 1 FROM doctors d \
    WHERE d.clinic_id = m.clinic_id AND d.user_id = m.user_id AND d.status IN ('suspended', 'rejected')))";

const SELECT: &str = "SELECT m.id, m.clinic_id, c.name AS clinic_name, m.user_id, u.name AS user_name, \
    u.email AS user_email, m.role, m.is_active, m.created_at \
    FROM memberships m JOIN users u ON u.id = m.user_id JOIN clinics c ON c.id = m.clinic_id";

fn row(r: &QueryResult) -> StoreResult<Membership> {
    let role: String = get(r, "role")?;
    Ok(Membership {
        id: MembershipId::from_uuid(get(r, "id")?),
        clinic_id: ClinicId::from_uuid(get(r, "clinic_id")?),
        clinic_name: get(r, "clinic_name")?,
        user_id: UserId::from_uuid(get(r, "user_id")?),
        user_name: get(r, "user_name")?,
        user_email: get(r, "user_email")?,
        role: parse_role(&role)?,
        is_active: get(r, "is_active")?,
        created_at: ts(get(r, "created_at")?)?,
    })
}

/// Gives `user` `role` in `clinic`, or re-activates it if it was deactivated.
pub async fn grant<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    user: UserId,
    role: Role,
    now: jiff::Timestamp,
) -> StoreResult<MembershipId> {
    if let Some(r) = one(
        c,
        "SELECT id FROM memberships WHERE clinic_id = $1 AND user_id = $2 AND role = $3",
        vec![
            clinic.as_uuid().into(),
            user.as_uuid().into(),
            role.as_str().into(),
        ],
    )
    .await?
    {
        let id = MembershipId::from_uuid(get(&r, "id")?);
        exec(
            c,
            "UPDATE memberships SET is_active = $1 WHERE id = $2",
            vec![true.into(), id.as_uuid().into()],
        )
        .await?;
        return Ok(id);
    }
    let id = MembershipId::new();
    exec(
        c,
        "INSERT INTO memberships (id, clinic_id, user_id, role, is_active, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        vec![
            id.as_uuid().into(),
            clinic.as_uuid().into(),
            user.as_uuid().into(),
            role.as_str().into(),
            true.into(),
            ms(now).into(),
        ],
    )
    .await?;
    Ok(id)
}

/// A user's active memberships, for the clinic switcher and `get_me`.
pub async fn active_of_user<C: ConnectionTrait>(
    c: &C,
    user: UserId,
) -> StoreResult<Vec<Membership>> {
    all_as(
        c,
        &format!(
            "{SELECT} WHERE m.user_id = $1 AND m.is_active = $2 AND {IN_GOOD_STANDING} \
             ORDER BY c.name, m.role"
        ),
        vec![user.as_uuid().into(), true.into()],
        row,
    )
    .await
}

/// The staff of one clinic, a page at a time.
pub async fn of_clinic<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    limit: u64,
    offset: u64,
) -> StoreResult<Vec<Membership>> {
    all_as(
        c,
        &format!("{SELECT} WHERE m.clinic_id = $1 ORDER BY u.name, m.role LIMIT $2 OFFSET $3"),
        vec![
            clinic.as_uuid().into(),
            (limit as i64).into(),
            (offset as i64).into(),
        ],
        row,
    )
    .await
}

/// One membership, only if it belongs to `clinic`: another clinic's id reads as missing.
pub async fn find_in_clinic<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    id: MembershipId,
) -> StoreResult<Option<Membership>> {
    one_as(
        c,
        &format!("{SELECT} WHERE m.clinic_id = $1 AND m.id = $2"),
        vec![clinic.as_uuid().into(), id.as_uuid().into()],
        row,
    )
    .await
}

/// The roles `user` holds, active and in good standing, in `clinic`.
pub async fn roles_in<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    user: UserId,
) -> StoreResult<Vec<Role>> {
    all(
        c,
        &format!(
            "SELECT m.role FROM memberships m WHERE m.clinic_id = $1 AND m.user_id = $2 \
             AND m.is_active = $3 AND {IN_GOOD_STANDING}"
        ),
        vec![clinic.as_uuid().into(), user.as_uuid().into(), true.into()],
    )
    .await?
    .iter()
    .map(|r| parse_role(&get::<String>(r, "role")?))
    .collect()
}

/// A role as stored.
pub(crate) fn parse_role(role: &str) -> StoreResult<Role> {
    role.parse()
        .map_err(|_| crate::StoreError::Corrupt(format!("role {role}")))
}

/// Whether `user` holds any of `roles`, active, in `clinic`.
pub async fn has_role<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    user: UserId,
    roles: &[Role],
) -> StoreResult<bool> {
    Ok(roles_in(c, clinic, user)
        .await?
        .iter()
        .any(|r| roles.contains(r)))
}

/// Deactivates a membership of `clinic`. Returns false when there is no such membership there.
pub async fn deactivate<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    id: MembershipId,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "UPDATE memberships SET is_active = $1 WHERE clinic_id = $2 AND id = $3",
        vec![false.into(), clinic.as_uuid().into(), id.as_uuid().into()],
    )
    .await?;
    Ok(n == 1)
}

/// How many active admins a clinic has (the last one cannot be removed).
pub async fn active_admins<C: ConnectionTrait>(c: &C, clinic: ClinicId) -> StoreResult<i64> {
    let r = one(
        c,
        "SELECT COUNT(*) AS n FROM memberships WHERE clinic_id = $1 AND role = 'admin' AND is_active = $2",
        vec![clinic.as_uuid().into(), true.into()],
    )
    .await?;
    r.as_ref()
        .map(|r| get::<i64>(r, "n"))
        .transpose()
        .map(|n| n.unwrap_or(0))
}
