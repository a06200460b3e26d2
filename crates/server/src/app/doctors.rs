//! Doctors: applying or being invited, admin review (approve, reject, suspend), profiles,
//! and the clinic's list of specialties.

use super::{Fields, checked};
use crate::app::{policy::Capability, scope::Caller};
use crate::{
    auth::extract::{CurrentUser, RequestCtx},
    error::{AppError, AppResult},
    state::AppState,
};
use domain::{
    ClinicId, DoctorId, DoctorStatus, Money, PersonName, SpecialtyId, UserId, values::bounded_text,
};
use serde_json::json;
use store::{
    Conn, audit, clinics,
    doctors::{self, Doctor, Profile, Specialty},
};

pub use super::doctor_decisions::{Decision, decide, list_pending};

/// A profile as typed into a form or a JSON body.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileInput {
    /// The name patients see, e.g. `Dr. Asha Rao`.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub qualifications: String,
    /// Up to 10 languages, each up to 40 characters.
    #[serde(default)]
    #[schema(max_items = 10, max_length = 40)]
    pub languages: Vec<String>,
    /// The medical council registration number.
    #[schema(min_length = 1, max_length = 50)]
    pub registration_number: String,
    /// Consultation fee in the clinic currency's minor unit per ISO 4217 (paise for INR, yen
    /// for JPY, fils for KWD): 50000 is INR 500.00. At most 100,000,000 major units (the
    /// maximum here is that bound in a currency with four decimals).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000000000000_i64)]
    pub fee_minor: i64,
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub bio: String,
    /// Ids from the clinic's specialty list.
    #[serde(default)]
    #[schema(max_items = 10)]
    pub specialties: Vec<uuid::Uuid>,
}

/// Checks a profile against the clinic's specialty list.
async fn parse_profile<C: Conn>(c: &C, clinic: ClinicId, p: &ProfileInput) -> AppResult<Profile> {
    let mut f = Fields::default();
    let name = f.take(PersonName::parse(&p.name));
    let qualifications = f.take(bounded_text(
        "qualifications",
        &p.qualifications,
        200,
        false,
    ));
    let registration = f.take(bounded_text(
        "registration_number",
        &p.registration_number,
        50,
        true,
    ));
    let bio = f.take(bounded_text("bio", &p.bio, 1000, false));
    let mut languages = Vec::new();
    if p.languages.len() > 10 {
        f.push("languages", "List at most 10 languages.");
    } else {
        for l in &p.languages {
            match bounded_text("languages", l, 40, false) {
                Ok(l) if !l.is_empty() && !languages.contains(&l) => languages.push(l),
                Ok(_) => {}
                Err(e) => {
                    f.take::<()>(Err(e));
                }
            }
        }
    }
    let currency = clinics::find(c, clinic)
        .await?
        .ok_or(AppError::NotFound)?
        .currency;
    if let Err(e) = Money::checked(&currency, p.fee_minor) {
        f.push("fee_minor", e.message);
    }
    let known = doctors::specialties(c, clinic).await?;
    let mut specialties: Vec<SpecialtyId> = Vec::new();
    if p.specialties.len() > 10 {
        f.push("specialties", "Choose at most 10 specialties.");
    }
    for id in p.specialties.iter().take(10) {
        let id = SpecialtyId::from_uuid(*id);
        if !known.iter().any(|s| s.id == id) {
            f.push("specialties", "Choose specialties from the clinic's list.");
            break;
        }
        if !specialties.contains(&id) {
            specialties.push(id);
        }
    }
    f.finish()?;
    Ok(Profile {
        name: checked(name)?.as_str().to_owned(),
        qualifications: checked(qualifications)?,
        languages,
        registration_number: checked(registration)?,
        fee_minor: p.fee_minor,
        bio: checked(bio)?,
        specialties,
    })
}

/// A signed-in person applies to join `clinic` as a doctor. The profile waits for review.
pub async fn apply_as_doctor(
    state: &AppState,
    ctx: &RequestCtx,
    me: &CurrentUser,
    clinic: ClinicId,
    input: &ProfileInput,
) -> AppResult<Doctor> {
    let now = state.now();
    let tx = state.store().write().await?;
    let profile = parse_profile(&tx, clinic, input).await?;
    let id = match doctors::insert(&tx, clinic, me.id(), &profile, now).await {
        Err(store::StoreError::Conflict(c)) if c == "doctors_clinic_user_key" => {
            return Err(AppError::Conflict(
                "You already have a doctor profile at this clinic.".into(),
            ));
        }
        other => other?,
    };
    audit::append(
        &tx,
        &ctx.actor(Some(me.id())),
        audit::Event::new("doctor.apply", "doctor", id).in_clinic(clinic),
        now,
    )
    .await?;
    let doctor = doctors::find(&tx, clinic, id)
        .await?
        .ok_or(AppError::NotFound)?;
    store::commit(tx).await?;
    Ok(doctor)
}

/// The caller's own doctor profile at `clinic`, whatever its status.
pub async fn own_profile(
    state: &AppState,
    me: &CurrentUser,
    clinic: ClinicId,
) -> AppResult<Option<Doctor>> {
    Ok(doctors::of_user(state.store().conn(), clinic, me.id()).await?)
}

/// Creates the pending profile of someone who accepted a doctor invitation, in the
/// caller's transaction. Does nothing if they already have one.
pub async fn profile_for_invited<C: Conn>(
    c: &C,
    clinic: ClinicId,
    user: UserId,
    name: &str,
    now: jiff::Timestamp,
) -> AppResult<()> {
    if doctors::of_user(c, clinic, user).await?.is_none() {
        let profile = Profile::named(name);
        doctors::insert(c, clinic, user, &profile, now).await?;
    }
    Ok(())
}

/// Approved doctors, optionally of one specialty (public).
pub async fn list_doctors(
    state: &AppState,
    clinic: ClinicId,
    specialty: Option<SpecialtyId>,
    limit: u64,
    offset: u64,
) -> AppResult<Vec<Doctor>> {
    Ok(doctors::list(
        state.store().conn(),
        clinic,
        DoctorStatus::Approved,
        specialty,
        limit,
        offset,
    )
    .await?)
}

/// The approved doctors the desk may give a token for `today`: those with hours today
/// first (each group by name), each with whether they work today.
pub async fn for_desk(
    state: &AppState,
    clinic: ClinicId,
    today: jiff::civil::Date,
) -> AppResult<Vec<(Doctor, bool)>> {
    let c = state.store().conn();
    let mut out = Vec::new();
    for d in list_doctors(state, clinic, None, 500, 0).await? {
        let rules = store::rules::doctor_rules(c, clinic, d.id, today, today).await?;
        let works = super::slots::works_on(&rules, today);
        out.push((d, works));
    }
    out.sort_by_key(|(_, works)| !works);
    Ok(out)
}

/// One approved doctor (public). Staff see any status through `find_for_staff`.
pub async fn get_doctor(state: &AppState, clinic: ClinicId, id: DoctorId) -> AppResult<Doctor> {
    doctors::find(state.store().conn(), clinic, id)
        .await?
        .filter(|d| d.status == DoctorStatus::Approved)
        .ok_or(AppError::NotFound)
}

/// The clinic's doctors in `status`, by name, up to `limit` (those who manage any
/// doctor's practice: admins).
pub async fn list_in_status(
    state: &AppState,
    caller: &Caller,
    status: DoctorStatus,
    limit: u64,
) -> AppResult<Vec<Doctor>> {
    caller.require(Capability::ManageAnyPractice)?;
    let c = state.store().conn();
    Ok(doctors::list(c, caller.clinic_id(), status, None, limit, 0).await?)
}

/// A doctor the caller may manage (see [`managed`]), for a page about them.
pub async fn get_managed(state: &AppState, caller: &Caller, id: DoctorId) -> AppResult<Doctor> {
    managed(state.store().conn(), caller, id).await
}

/// A doctor a staff caller may manage: admins any of the clinic's, doctors only their own.
pub async fn managed<C: Conn>(c: &C, scope: &Caller, id: DoctorId) -> AppResult<Doctor> {
    let d = doctors::find(c, scope.clinic_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if scope.can(Capability::ManageAnyPractice) || d.user_id == scope.person()?.id() {
        Ok(d)
    } else {
        Err(AppError::NotFound)
    }
}

/// A doctor edits their own profile, or an admin edits any.
pub async fn update_profile(
    state: &AppState,
    ctx: &RequestCtx,
    scope: &Caller,
    id: DoctorId,
    input: &ProfileInput,
) -> AppResult<Doctor> {
    let now = state.now();
    let tx = state.store().write().await?;
    let out = update_profile_in(&tx, ctx, scope, id, input, now).await?;
    store::commit(tx).await?;
    Ok(out)
}

/// [`update_profile`] in `c`'s transaction, at `now`.
pub(crate) async fn update_profile_in<C: store::Conn>(
    c: &C,
    ctx: &RequestCtx,
    scope: &Caller,
    id: DoctorId,
    input: &ProfileInput,
    now: jiff::Timestamp,
) -> AppResult<Doctor> {
    scope.require(Capability::ManagePractice)?;
    managed(c, scope, id).await?;
    let profile = parse_profile(c, scope.clinic_id(), input).await?;
    doctors::update_profile(c, scope.clinic_id(), id, &profile, now).await?;
    audit::append(
        c,
        &scope.actor(ctx),
        audit::Event::new("doctor.update", "doctor", id).in_clinic(scope.clinic_id()),
        now,
    )
    .await?;
    let doctor = doctors::find(c, scope.clinic_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(doctor)
}

/// The clinic's specialties (public).
pub async fn list_specialties(state: &AppState, clinic: ClinicId) -> AppResult<Vec<Specialty>> {
    Ok(doctors::specialties(state.store().conn(), clinic).await?)
}

/// Adds a specialty to the clinic's list (clinic admins).
pub async fn create_specialty(
    state: &AppState,
    ctx: &RequestCtx,
    scope: &Caller,
    name: &str,
) -> AppResult<Specialty> {
    let now = state.now();
    let tx = state.store().write().await?;
    let out = create_specialty_in(&tx, ctx, scope, name, now).await?;
    store::commit(tx).await?;
    Ok(out)
}

/// [`create_specialty`] in `c`'s transaction, at `now`.
pub(crate) async fn create_specialty_in<C: store::Conn>(
    c: &C,
    ctx: &RequestCtx,
    scope: &Caller,
    name: &str,
    now: jiff::Timestamp,
) -> AppResult<Specialty> {
    scope.require(Capability::DecideDoctors)?;
    let name = bounded_text("name", name, 60, true)?;
    let s = match doctors::insert_specialty(c, scope.clinic_id(), &name, now).await {
        Err(store::StoreError::Conflict(c)) if c == "specialties_clinic_name_key" => {
            return Err(AppError::field("name", "This specialty is already listed."));
        }
        other => other?,
    };
    audit::append(
        c,
        &scope.actor(ctx),
        audit::Event::new("specialty.create", "specialty", s.id)
            .in_clinic(scope.clinic_id())
            .detail(json!({"name": name})),
        now,
    )
    .await?;
    Ok(s)
}
