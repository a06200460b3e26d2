//! Clinics (tenants).

use crate::{StoreError, StoreResult, all_as, exec, get, ms, one, one_as, ts};
use domain::{
    ClinicId, ClinicName, ClinicSlug, Currency, Role, TimeZoneName, UserId,
    clinic::{ClinicDetails, GeoPoint},
};
use sea_orm::{ConnectionTrait, QueryResult};
use std::borrow::Cow;

/// A clinic as stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Clinic {
    pub id: ClinicId,
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    pub currency: Currency,
    pub created_at: jiff::Timestamp,
    /// Address, phone, opening hours and map location, as patients see them.
    pub details: ClinicDetails,
    /// ISO 3166 letters (`IN`): the region phone numbers typed without `+` are read in;
    /// `None`: the install's default.
    pub country: Option<String>,
    /// The roles whose members must sign in with a second factor (TOTP) to act here.
    pub totp_roles: Vec<Role>,
}

/// What creating a clinic needs.
pub struct NewClinic {
    pub name: ClinicName,
    pub slug: ClinicSlug,
    pub time_zone: TimeZoneName,
    pub currency: Currency,
    pub country: Option<String>,
}

/// Column `col` of a row whose clinic columns are named with `prefix`.
fn named<'a>(prefix: &str, col: &'a str) -> Cow<'a, str> {
    match prefix {
        "" => Cow::Borrowed(col),
        p => Cow::Owned(format!("{p}{col}")),
    }
}

fn details(r: &QueryResult, p: &str) -> StoreResult<ClinicDetails> {
    let corrupt = |e: domain::DomainError| StoreError::Corrupt(format!("clinic {e}"));
    let location = match (
        get::<Option<i64>>(r, &named(p, "latitude_e6"))?,
        get::<Option<i64>>(r, &named(p, "longitude_e6"))?,
    ) {
        (Some(lat), Some(lon)) => Some(GeoPoint::from_micro_degrees(lat, lon).map_err(corrupt)?),
        _ => None,
    };
    ClinicDetails::with_location(
        &get::<String>(r, &named(p, "address"))?,
        &get::<String>(r, &named(p, "phone"))?,
        &get::<String>(r, &named(p, "opening_hours"))?,
        location,
    )
    .map_err(|errors| {
        let all: Vec<String> = errors.iter().map(ToString::to_string).collect();
        StoreError::Corrupt(format!("clinic {}", all.join("; ")))
    })
}

fn row(r: &QueryResult) -> StoreResult<Clinic> {
    row_named(r, "")
}

/// The clinic in `r`, whose columns are named with `p` (see [`cols_with_roles`]).
pub(crate) fn row_named(r: &QueryResult, p: &str) -> StoreResult<Clinic> {
    Ok(Clinic {
        id: ClinicId::from_uuid(get(r, &named(p, "id"))?),
        slug: get(r, &named(p, "slug"))?,
        name: get(r, &named(p, "name"))?,
        time_zone: get(r, &named(p, "time_zone"))?,
        currency: Currency::parse(&get::<String>(r, &named(p, "currency"))?)
            .map_err(|e| StoreError::Corrupt(format!("clinic {e}")))?,
        created_at: ts(get(r, &named(p, "created_at"))?)?,
        details: details(r, p)?,
        country: get(r, &named(p, "country"))?,
        totp_roles: get::<String>(r, &named(p, "totp_roles"))?
            .split(',')
            .filter_map(|r| r.parse().ok())
            .collect(),
    })
}

const COLS: &str = "id, slug, name, time_zone, currency, created_at, \
    address, phone, opening_hours, latitude_e6, longitude_e6, country, totp_roles";

/// Inserts a clinic. A taken slug is `Conflict("clinics_slug_key")`.
pub async fn insert<C: ConnectionTrait>(
    c: &C,
    new: &NewClinic,
    now: jiff::Timestamp,
) -> StoreResult<Clinic> {
    let id = ClinicId::new();
    exec(
        c,
        "INSERT INTO clinics (id, slug, name, time_zone, currency, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        vec![
            id.as_uuid().into(),
            new.slug.as_str().into(),
            new.name.as_str().into(),
            new.time_zone.as_str().into(),
            new.currency.as_str().into(),
            ms(now).into(),
        ],
    )
    .await?;
    // Set apart, so that the upgrade tests can still make clinics under older schemas.
    if let Some(country) = &new.country {
        exec(
            c,
            "UPDATE clinics SET country = $1 WHERE id = $2",
            vec![country.clone().into(), id.as_uuid().into()],
        )
        .await?;
    }
    Ok(Clinic {
        id,
        slug: new.slug.as_str().to_owned(),
        name: new.name.as_str().to_owned(),
        time_zone: new.time_zone.as_str().to_owned(),
        currency: new.currency.clone(),
        created_at: now,
        details: ClinicDetails::default(),
        country: new.country.clone(),
        totp_roles: Vec::new(),
    })
}

/// Sets the roles that must sign in with a second factor; false when there is no such
/// clinic.
pub async fn set_totp_roles<C: ConnectionTrait>(
    c: &C,
    id: ClinicId,
    roles: &[Role],
) -> StoreResult<bool> {
    let list: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    let n = exec(
        c,
        "UPDATE clinics SET totp_roles = $1 WHERE id = $2",
        vec![list.join(",").into(), id.as_uuid().into()],
    )
    .await?;
    Ok(n == 1)
}

/// Replaces a clinic's contact details; false when there is no such clinic.
pub async fn set_details<C: ConnectionTrait>(
    c: &C,
    id: ClinicId,
    d: &ClinicDetails,
) -> StoreResult<bool> {
    let location = d.location();
    let n = exec(
        c,
        "UPDATE clinics SET address = $1, phone = $2, opening_hours = $3, latitude_e6 = $4, \
         longitude_e6 = $5 WHERE id = $6",
        vec![
            d.address().into(),
            d.phone().map_or("", |p| p.as_str()).into(),
            d.opening_hours().into(),
            location.map(GeoPoint::lat_micro).into(),
            location.map(GeoPoint::lon_micro).into(),
            id.as_uuid().into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// One clinic by id.
pub async fn find<C: ConnectionTrait>(c: &C, id: ClinicId) -> StoreResult<Option<Clinic>> {
    one_as(
        c,
        &format!("SELECT {COLS} FROM clinics WHERE id = $1"),
        vec![id.as_uuid().into()],
        row,
    )
    .await
}

/// One clinic by id with the roles `user` holds there (active and in good standing; none
/// for a patient), in one read: what every signed-in request in a clinic starts from.
pub async fn find_with_roles<C: ConnectionTrait>(
    c: &C,
    id: ClinicId,
    user: UserId,
) -> StoreResult<Option<(Clinic, Vec<Role>)>> {
    let r = one(
        c,
        &format!(
            "SELECT {} FROM clinics c WHERE c.id = $1",
            cols_with_roles(c, "c", "$2", "$3")
        ),
        vec![id.as_uuid().into(), user.as_uuid().into(), true.into()],
    )
    .await?;
    r.as_ref().map(|r| with_roles(r, "c_")).transpose()
}

/// The columns of the clinic `alias` named `c_…`, and as `c_roles` the roles the user
/// `user` holds there (`active` is a parameter holding true): for a read that takes a
/// clinic beside other rows.
pub(crate) fn cols_with_roles<C: ConnectionTrait>(
    c: &C,
    alias: &str,
    user: &str,
    active: &str,
) -> String {
    let agg = crate::text_agg(c);
    let good = crate::memberships::IN_GOOD_STANDING;
    let cols: Vec<String> = COLS
        .split(", ")
        .map(|col| format!("{alias}.{col} AS c_{col}"))
        .collect();
    format!(
        "{}, (SELECT {agg}(m.role, ',') FROM memberships m WHERE m.clinic_id = {alias}.id \
         AND m.user_id = {user} AND m.is_active = {active} AND {good}) AS c_roles",
        cols.join(", ")
    )
}

/// The clinic and roles [`cols_with_roles`] named with `p` (`c_`).
pub(crate) fn with_roles(r: &QueryResult, p: &str) -> StoreResult<(Clinic, Vec<Role>)> {
    let roles = get::<Option<String>>(r, &named(p, "roles"))?
        .iter()
        .flat_map(|list| list.split(','))
        .map(crate::memberships::parse_role)
        .collect::<StoreResult<_>>()?;
    Ok((row_named(r, p)?, roles))
}

/// One clinic by its slug.
pub async fn find_by_slug<C: ConnectionTrait>(c: &C, slug: &str) -> StoreResult<Option<Clinic>> {
    one_as(
        c,
        &format!("SELECT {COLS} FROM clinics WHERE slug = $1"),
        vec![slug.into()],
        row,
    )
    .await
}

/// A page of clinics by name.
pub async fn list<C: ConnectionTrait>(c: &C, limit: u64, offset: u64) -> StoreResult<Vec<Clinic>> {
    all_as(
        c,
        &format!("SELECT {COLS} FROM clinics ORDER BY name, id LIMIT $1 OFFSET $2"),
        vec![(limit as i64).into(), (offset as i64).into()],
        row,
    )
    .await
}

/// The clinics that have a patient record of `user`, by name, at most `limit`.
pub async fn of_patient<C: ConnectionTrait>(
    c: &C,
    user: domain::UserId,
    limit: u64,
) -> StoreResult<Vec<Clinic>> {
    all_as(
        c,
        &format!(
            "SELECT {COLS} FROM clinics WHERE id IN \
             (SELECT clinic_id FROM patients WHERE user_id = $1) ORDER BY name, id LIMIT $2"
        ),
        vec![user.as_uuid().into(), (limit as i64).into()],
        row,
    )
    .await
}

/// The clinics where `user` holds an active role, by name.
pub async fn of_member<C: ConnectionTrait>(
    c: &C,
    user: domain::UserId,
) -> StoreResult<Vec<Clinic>> {
    all_as(
        c,
        &format!(
            "SELECT {COLS} FROM clinics WHERE id IN \
             (SELECT clinic_id FROM memberships WHERE user_id = $1 AND is_active = $2) ORDER BY name, id"
        ),
        vec![user.as_uuid().into(), true.into()],
        row,
    )
    .await
}
