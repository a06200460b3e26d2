//! Clinics: created by platform admins, each with its first admin invited by e-mail.

use super::{Fields, checked, staff};
use crate::app::{policy::Capability, scope::Caller};
use crate::{
    auth::{
        CurrentUser,
        extract::{PlatformAdmin, RequestCtx},
    },
    error::{AppError, AppResult, FieldError},
    state::AppState,
};
use domain::{
    ClinicName, ClinicSlug, Currency, Email, Role, TimeZoneName,
    clinic::{ClinicDetails, DetailsInput},
};
use serde_json::json;
use store::{audit, clinics};

/// What the create-clinic form and API take.
pub struct NewClinicInput<'a> {
    pub name: &'a str,
    pub slug: &'a str,
    pub time_zone: &'a str,
    pub currency: &'a str,
    /// ISO 3166 letters (`IN`); empty: the install's default country.
    pub country: &'a str,
    pub admin_email: &'a str,
}

/// An existing clinic; an unknown id is `NotFound`.
pub async fn get_clinic(state: &AppState, id: domain::ClinicId) -> AppResult<clinics::Clinic> {
    clinics::find(state.store().conn(), id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Whether the install has no clinic yet (the demo seeds only then).
pub(crate) async fn install_is_empty(state: &AppState) -> AppResult<bool> {
    Ok(clinics::list(state.store().conn(), 1, 0).await?.is_empty())
}

/// Creates the clinic `new` in `c`'s transaction, audited as `actor`'s (the platform
/// admin's `create_clinic`, the demo seeder). A taken slug is a field error.
pub(crate) async fn insert_clinic_in<C: store::Conn>(
    c: &C,
    actor: &audit::Actor,
    new: &clinics::NewClinic,
    now: jiff::Timestamp,
) -> AppResult<clinics::Clinic> {
    let clinic = match clinics::insert(c, new, now).await {
        Ok(clinic) => clinic,
        Err(store::StoreError::Conflict(_)) => {
            return Err(AppError::field(
                "slug",
                "This slug is taken; choose another.",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    audit::append(
        c,
        actor,
        audit::Event::new("clinic.create", "clinic", clinic.id)
            .in_clinic(clinic.id)
            .detail(json!({"slug": clinic.slug, "name": clinic.name})),
        now,
    )
    .await?;
    Ok(clinic)
}

/// The clinic with `slug` (public); an unknown or overlong slug is `NotFound`.
pub async fn by_slug(state: &AppState, slug: &str) -> AppResult<clinics::Clinic> {
    if slug.len() > 40 {
        return Err(AppError::NotFound);
    }
    clinics::find_by_slug(state.store().conn(), slug)
        .await?
        .ok_or(AppError::NotFound)
}

/// Creates a clinic and invites its first admin.
pub async fn create_clinic(
    state: &AppState,
    ctx: &RequestCtx,
    admin: &PlatformAdmin,
    input: NewClinicInput<'_>,
) -> AppResult<clinics::Clinic> {
    let mut f = Fields::default();
    let name = f.take(ClinicName::parse(input.name));
    let slug = f.take(ClinicSlug::parse(input.slug));
    let tz = f.take(TimeZoneName::parse(input.time_zone));
    let currency = f.take(Currency::parse(input.currency));
    let country = match input.country.trim() {
        "" => Some(None),
        c => f.take(domain::phone::Region::parse(c).map(|r| Some(r.as_str().to_owned()))),
    };
    let admin_email = f.take(Email::parse(input.admin_email).map_err(|mut e| {
        e.field = "admin_email";
        e
    }));
    f.finish()?;
    let new = clinics::NewClinic {
        name: checked(name)?,
        slug: checked(slug)?,
        time_zone: checked(tz)?,
        currency: checked(currency)?,
        country: checked(country)?,
    };
    let admin_email = checked(admin_email)?;
    let now = state.now();
    let tx = state.store().write().await?;
    let clinic = insert_clinic_in(&tx, &ctx.actor(Some(admin.0.id())), &new, now).await?;
    staff::create_invite(
        state,
        &tx,
        ctx,
        staff::InviteTarget {
            clinic: clinic.id,
            clinic_name: &clinic.name,
            email: &admin_email,
            role: Role::Admin,
            invited_by: admin.0.id(),
        },
    )
    .await?;
    store::commit(tx).await?;
    Ok(clinic)
}

/// Clinics the caller may see: all of them for a platform admin, else their own.
pub async fn list_clinics(
    state: &AppState,
    me: &CurrentUser,
    limit: u64,
    offset: u64,
) -> AppResult<Vec<clinics::Clinic>> {
    let c = state.store().conn();
    if me.user().is_platform_admin {
        return Ok(clinics::list(c, limit.clamp(1, 200), offset.min(1_000_000)).await?);
    }
    Ok(clinics::of_member(c, me.id()).await?)
}

/// Sets the address, phone, opening hours and map location that patients see (clinic
/// admins). Every bad part is reported at once and nothing is saved.
pub async fn set_clinic_details(
    state: &AppState,
    ctx: &RequestCtx,
    scope: &Caller,
    input: &DetailsInput<'_>,
) -> AppResult<clinics::Clinic> {
    scope.require(Capability::ClinicSettings)?;
    let details = ClinicDetails::parse(input).map_err(|errors| {
        AppError::Validation(
            errors
                .into_iter()
                .map(|e| FieldError {
                    field: e.field.into(),
                    message: e.message,
                })
                .collect(),
        )
    })?;
    let now = state.now();
    let tx = state.store().write().await?;
    if !clinics::set_details(&tx, scope.clinic_id(), &details).await? {
        return Err(AppError::NotFound);
    }
    audit::append(
        &tx,
        &scope.actor(ctx),
        audit::Event::new("clinic.details_set", "clinic", scope.clinic_id())
            .in_clinic(scope.clinic_id())
            .detail(serde_json::to_value(&details).unwrap_or_default()),
        now,
    )
    .await?;
    let clinic = clinics::find(&tx, scope.clinic_id())
        .await?
        .ok_or(AppError::NotFound)?;
    store::commit(tx).await?;
    Ok(clinic)
}
