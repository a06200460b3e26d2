//! The clinic's patient registry: register (with the likely-duplicate check), find, read,
//! edit and link a record to a patient's own login. Every read and write is audited.

use crate::app::{policy::Capability, scope::Caller};
use crate::{
    app::{Fields, checked, local_time::date_of},
    auth::extract::{CurrentUser, RequestCtx},
    error::{AppError, AppResult, DuplicateView},
    state::AppState,
};
use domain::{
    Email, PatientId, PersonName, Phone,
    patient::{BirthDate, Identity, SearchTerms, Sex, likely_duplicate, optional_text},
};
use serde_json::json;
use store::{
    Conn, audit, clinics,
    patients::{self, Patient, PatientDetails},
    users,
};

/// The registration and edit form, as typed (also the API's request body).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatientForm {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// `female`, `male`, `other` or `unknown`.
    pub sex: String,
    /// `YYYY-MM-DD`; or leave empty and give `age`.
    #[serde(default)]
    pub birth_date: String,
    /// Age in years (`42`) or months for infants (`8m`), when the birth date is not known.
    #[serde(default)]
    pub age: String,
    /// 7–15 digits, optionally after `+`; spaces, dots, dashes and brackets are dropped.
    #[schema(min_length = 7)]
    pub phone: String,
    #[serde(default)]
    #[schema(max_length = 254)]
    pub email: String,
    #[serde(default)]
    #[schema(max_length = 300)]
    pub address: String,
    #[serde(default)]
    #[schema(max_length = 100)]
    pub emergency_name: String,
    #[serde(default)]
    pub emergency_phone: String,
    /// Save although a record with the same phone and birth date, or the same name and
    /// phone, exists (audited).
    #[serde(default)]
    pub allow_duplicate: bool,
    /// Edits: the `version` read with the record; a stale one gets 409.
    #[serde(default)]
    pub version: Option<i32>,
}

impl PatientForm {
    /// The form filled from a record, for editing.
    pub fn of(p: &Patient) -> Self {
        let d = &p.details;
        Self {
            name: d.name.clone(),
            sex: d.sex.map(|s| s.as_str().to_owned()).unwrap_or_default(),
            birth_date: d.birth.map(|b| b.date.to_string()).unwrap_or_default(),
            age: String::new(),
            phone: d.phone.clone().unwrap_or_default(),
            email: d.email.clone().unwrap_or_default(),
            address: d.address.clone().unwrap_or_default(),
            emergency_name: d.emergency_name.clone().unwrap_or_default(),
            emergency_phone: d.emergency_phone.clone().unwrap_or_default(),
            allow_duplicate: false,
            version: Some(p.version),
        }
    }

    /// Checks every field, reporting all problems at once.
    fn parse(&self, today: jiff::civil::Date) -> AppResult<PatientDetails> {
        let mut f = Fields::default();
        let name = f.take(PersonName::parse(&self.name));
        let sex = if self.sex.trim().is_empty() {
            f.push("sex", "Choose female, male, other or unknown.");
            None
        } else {
            f.take(self.sex.parse::<Sex>())
        };
        let birth = f.take(BirthDate::parse(&self.birth_date, &self.age, today));
        let phone = f.take(Phone::parse(&self.phone));
        let email = if self.email.trim().is_empty() {
            Some(None)
        } else {
            f.take(Email::parse(&self.email)).map(Some)
        };
        let address = f.take(optional_text("address", &self.address, 300));
        let emergency_name = f.take(optional_text("emergency_name", &self.emergency_name, 100));
        let emergency_phone = if self.emergency_phone.trim().is_empty() {
            Some(None)
        } else {
            f.take(Phone::parse(&self.emergency_phone).map_err(|mut e| {
                e.field = "emergency_phone";
                e
            }))
            .map(Some)
        };
        f.finish()?;
        Ok(PatientDetails {
            name: checked(name)?.as_str().to_owned(),
            sex: Some(checked(sex)?),
            birth: Some(checked(birth)?),
            phone: Some(checked(phone)?.as_str().to_owned()),
            email: checked(email)?.map(|e| e.as_str().to_owned()),
            address: checked(address)?,
            emergency_name: checked(emergency_name)?,
            emergency_phone: checked(emergency_phone)?.map(|p| p.as_str().to_owned()),
        })
    }
}

fn identity(d: &PatientDetails) -> Identity<'_> {
    Identity {
        name: &d.name,
        phone: d.phone.as_deref(),
        email: d.email.as_deref(),
        birth_date: d.birth.map(|b| b.date),
    }
}

/// Records of the clinic that `new` likely duplicates.
async fn duplicates_of<C: Conn>(
    c: &C,
    caller: &Caller,
    new: &PatientDetails,
    except: Option<PatientId>,
) -> AppResult<Vec<DuplicateView>> {
    let mut candidates = Vec::new();
    if let Some(phone) = &new.phone {
        candidates.extend(patients::with_phone(c, caller.clinic_id(), phone).await?);
    }
    if let Some(email) = &new.email {
        let seen: Vec<PatientId> = candidates.iter().map(|p| p.id).collect();
        let by_email = patients::with_email(c, caller.clinic_id(), email).await?;
        candidates.extend(by_email.into_iter().filter(|p| !seen.contains(&p.id)));
    }
    Ok(candidates
        .into_iter()
        .filter(|old| Some(old.id) != except)
        .filter_map(|old| {
            let reason = likely_duplicate(identity(new), identity(&old.details))?;
            Some(DuplicateView {
                id: old.id.as_uuid(),
                mrn: old.mrn,
                name: old.details.name,
                phone: old.details.phone,
                birth_date: old.details.birth.map(|b| b.date.to_string()),
                reason: reason.as_str().to_owned(),
            })
        })
        .collect())
}

/// The signed-in person's own patient records, at every clinic.
pub async fn records_of(state: &AppState, me: &CurrentUser) -> AppResult<Vec<Patient>> {
    Ok(patients::all_of_user(state.store().conn(), me.id()).await?)
}

/// The clinics where the signed-in person is a patient, by name: where they can book again.
pub async fn clinics_of(state: &AppState, me: &CurrentUser) -> AppResult<Vec<clinics::Clinic>> {
    Ok(clinics::of_patient(state.store().conn(), me.id(), BOOKING_CLINICS_MAX).await?)
}

/// The most clinics [`clinics_of`] answers.
const BOOKING_CLINICS_MAX: u64 = 20;

/// Registers a patient (staff). A likely duplicate is refused with the records it resembles
/// unless the form's `allow_duplicate` says the staff member has checked; the override is audited.
pub async fn create_patient(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    form: &PatientForm,
) -> AppResult<Patient> {
    caller.require(Capability::RegisterPatients)?;
    let details = form.parse(date_of(caller.clinic(), state.now()))?;
    let now = state.now();
    let tx = state.store().write().await?;
    let matches = duplicates_of(&tx, caller, &details, None).await?;
    if !matches.is_empty() && !form.allow_duplicate {
        return Err(AppError::LikelyDuplicate { matches });
    }
    let p = patients::insert(&tx, caller.clinic_id(), None, &details, now).await?;
    let e = domain::Event::PatientRegistered { patient: p.id };
    super::events::record(&tx, caller.clinic_id(), caller.user_id(), e, now).await?;
    audit::append(
        &tx,
        &caller.actor(ctx),
        audit::Event::new("patient.create", "patient", p.id)
            .in_clinic(caller.clinic_id())
            .detail(json!({
                "mrn": p.mrn,
                "duplicate_override": !matches.is_empty(),
            })),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(p)
}

/// The most records one search returns.
pub const SEARCH_LIMIT: u64 = 20;

/// Patients any of whose name words (every word typed must start one), or whose phone,
/// starts with `q`, or whose MRN is `q` (staff; at least 2 characters).
pub async fn search_patients(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    q: &str,
) -> AppResult<Vec<Patient>> {
    caller.require(Capability::ReadRecords)?;
    let terms = SearchTerms::parse(q)?;
    let now = state.now();
    let tx = state.store().write().await?;
    let list = patients::search(&tx, caller.clinic_id(), &terms, SEARCH_LIMIT).await?;
    audit::append(
        &tx,
        &caller.actor(ctx),
        audit::Event::new("patient.search", "clinic", caller.clinic_id())
            .in_clinic(caller.clinic_id())
            .detail(json!({"count": list.len()})),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(list)
}

/// One record: staff of the clinic, or the patient it belongs to. The read is audited.
pub async fn get_patient(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: PatientId,
) -> AppResult<Patient> {
    let now = state.now();
    let tx = state.store().write().await?;
    let p = patients::find(&tx, caller.clinic_id(), id)
        .await?
        .filter(|p| caller.can(Capability::ReadRecords) || caller.is_user(p.user_id))
        .ok_or(AppError::NotFound)?;
    audit::append(
        &tx,
        &caller.actor(ctx),
        audit::Event::new("patient.read", "patient", p.id).in_clinic(caller.clinic_id()),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(p)
}

/// Edits a record that is still at the form's `version` (staff). The audit event names the fields
/// that changed, not their values. Editing into a likely duplicate needs the same override
/// as registering one.
pub async fn update_patient(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: PatientId,
    form: &PatientForm,
) -> AppResult<Patient> {
    caller.require(Capability::RegisterPatients)?;
    let version = form
        .version
        .ok_or_else(|| AppError::field("version", "Send the version you read with the record."))?;
    let details = form.parse(date_of(caller.clinic(), state.now()))?;
    let now = state.now();
    let tx = state.store().write().await?;
    let old = patients::find(&tx, caller.clinic_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if old.version != version {
        return Err(stale());
    }
    let changed = changed_fields(&old.details, &details);
    if changed.is_empty() {
        return Ok(old);
    }
    let matches = duplicates_of(&tx, caller, &details, Some(id)).await?;
    if !matches.is_empty() && !form.allow_duplicate {
        return Err(AppError::LikelyDuplicate { matches });
    }
    if !patients::update(&tx, caller.clinic_id(), id, version, &details, now).await? {
        return Err(stale());
    }
    audit::append(
        &tx,
        &caller.actor(ctx),
        audit::Event::new("patient.update", "patient", id)
            .in_clinic(caller.clinic_id())
            .detail(json!({"fields": changed, "duplicate_override": !matches.is_empty()})),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(Patient {
        details,
        updated_at: now,
        version: version + 1,
        ..old
    })
}

fn stale() -> AppError {
    AppError::Conflict(
        "Someone else changed this record meanwhile. Reload it and make your change again.".into(),
    )
}

/// The names of the fields that differ.
fn changed_fields(old: &PatientDetails, new: &PatientDetails) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut check = |name, differs: bool| {
        if differs {
            out.push(name);
        }
    };
    check("name", old.name != new.name);
    check("sex", old.sex != new.sex);
    check("birth_date", old.birth != new.birth);
    check("phone", old.phone != new.phone);
    check("email", old.email != new.email);
    check("address", old.address != new.address);
    check("emergency_name", old.emergency_name != new.emergency_name);
    check(
        "emergency_phone",
        old.emergency_phone != new.emergency_phone,
    );
    out
}

/// Links a record to the patient account with this e-mail (staff, after checking who the
/// person is), so they see their visits online. A login holds at most one record per clinic.
pub async fn link_account(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: PatientId,
    email: &str,
) -> AppResult<Patient> {
    caller.require(Capability::RegisterPatients)?;
    let email = Email::parse(email)?;
    let now = state.now();
    let tx = state.store().write().await?;
    let p = patients::find(&tx, caller.clinic_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if p.user_id.is_some() {
        return Err(AppError::Conflict(
            "This record is already linked to an online account.".into(),
        ));
    }
    let no_account = || {
        AppError::field(
            "email",
            "No patient account uses this address. Ask the patient to register online first.",
        )
    };
    let user = users::find_by_email(&tx, &email)
        .await?
        .filter(|u| u.is_patient && u.is_active)
        .ok_or_else(no_account)?;
    if let Some(other) = patients::of_user(&tx, caller.clinic_id(), user.id).await? {
        return Err(AppError::field(
            "email",
            format!(
                "That account already belongs to record {} ({}).",
                other.mrn, other.details.name
            ),
        ));
    }
    if !patients::link_user(&tx, caller.clinic_id(), id, user.id, now).await? {
        return Err(stale());
    }
    audit::append(
        &tx,
        &caller.actor(ctx),
        audit::Event::new("patient.link", "patient", id)
            .in_clinic(caller.clinic_id())
            .detail(json!({"user_id": user.id.as_uuid()})),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(Patient {
        user_id: Some(user.id),
        version: p.version + 1,
        updated_at: now,
        ..p
    })
}
