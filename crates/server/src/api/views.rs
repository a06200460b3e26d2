//! JSON shapes of the API.

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

fn time(t: jiff::Timestamp) -> String {
    t.to_string()
}

/// A clinic.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClinicView {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    /// IANA time zone, e.g. `Asia/Kolkata`.
    pub time_zone: String,
    /// ISO 4217 code.
    pub currency: String,
    /// ISO 3166 letters; null: the install's default country.
    pub country: Option<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// Postal address; empty when not set.
    pub address: String,
    /// Phone number, `+` and digits; empty when not set.
    pub phone: String,
    /// When the clinic is open, as it wrote it; empty when not set.
    pub opening_hours: String,
    /// Degrees north; null (with `longitude`) when the clinic is not on the map.
    pub latitude: Option<f64>,
    /// Degrees east; null (with `latitude`) when the clinic is not on the map.
    pub longitude: Option<f64>,
}

impl From<store::clinics::Clinic> for ClinicView {
    fn from(c: store::clinics::Clinic) -> Self {
        let d = &c.details;
        let at = d.location();
        ClinicView {
            id: c.id.as_uuid(),
            address: d.address().to_owned(),
            phone: d.phone().map(|p| p.as_str().to_owned()).unwrap_or_default(),
            opening_hours: d.opening_hours().to_owned(),
            latitude: at.map(|p| p.latitude()),
            longitude: at.map(|p| p.longitude()),
            slug: c.slug,
            name: c.name,
            time_zone: c.time_zone,
            currency: c.currency.to_string(),
            country: c.country.clone(),
            created_at: time(c.created_at),
        }
    }
}

/// A user's role in a clinic.
#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipView {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub clinic_name: String,
    pub user_id: Uuid,
    pub user_name: String,
    pub user_email: String,
    /// `admin`, `doctor` or `receptionist`.
    pub role: String,
    pub is_active: bool,
}

impl From<store::memberships::Membership> for MembershipView {
    fn from(m: store::memberships::Membership) -> Self {
        MembershipView {
            id: m.id.as_uuid(),
            clinic_id: m.clinic_id.as_uuid(),
            clinic_name: m.clinic_name,
            user_id: m.user_id.as_uuid(),
            user_name: m.user_name,
            user_email: m.user_email,
            role: m.role.as_str().into(),
            is_active: m.is_active,
        }
    }
}

/// An invitation to join a clinic.
#[derive(Debug, Serialize, ToSchema)]
pub struct InviteView {
    pub id: Uuid,
    pub email: String,
    pub role: String,
    pub created_at: String,
    pub expires_at: String,
    pub used_at: Option<String>,
}

impl From<store::links::Invite> for InviteView {
    fn from(i: store::links::Invite) -> Self {
        InviteView {
            id: i.id,
            email: i.email,
            role: i.role.as_str().into(),
            created_at: time(i.created_at),
            expires_at: time(i.expires_at),
            used_at: i.used_at.map(time),
        }
    }
}

/// The signed-in user.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub is_platform_admin: bool,
    pub is_patient: bool,
    /// Whether the account confirmed its e-mail address (by a confirmation, reset or
    /// invitation link).
    pub email_confirmed: bool,
    /// The mobile number (E.164) texts go to; `null` when none was given.
    pub phone: Option<String>,
    /// Active clinic roles.
    pub memberships: Vec<MembershipView>,
}

impl MeView {
    pub fn of(u: &store::users::User, roles: Vec<store::memberships::Membership>) -> Self {
        Self {
            id: u.id.as_uuid(),
            email: u.email.clone(),
            name: u.name.clone(),
            is_platform_admin: u.is_platform_admin,
            is_patient: u.is_patient,
            email_confirmed: u.email_verified_at.is_some(),
            phone: u.phone.clone(),
            memberships: roles.into_iter().map(Into::into).collect(),
        }
    }
}

/// A login session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub id: Uuid,
    pub user_agent: String,
    pub ip: String,
    pub created_at: String,
    pub last_seen_at: String,
    pub expires_at: String,
    /// Whether this is the session making the request.
    pub current: bool,
}

impl SessionView {
    pub fn new(s: store::sessions::Session, current: domain::SessionId) -> Self {
        SessionView {
            id: s.id.as_uuid(),
            current: s.id == current,
            user_agent: s.user_agent,
            ip: s.ip,
            created_at: time(s.created_at),
            last_seen_at: time(s.last_seen_at),
            expires_at: time(s.expires_at),
        }
    }
}

/// Tokens for API clients.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// Send as `Authorization: Bearer …`. Lives about 15 minutes.
    pub access_token: String,
    /// Exchange at `refresh_token` for a new pair; single use.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub session_id: Uuid,
}

/// A staff list with the clinic's recent invitations.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffList {
    pub staff: Vec<MembershipView>,
    pub invites: Vec<InviteView>,
}

/// A specialty in a clinic's list.
#[derive(Debug, Serialize, ToSchema)]
pub struct SpecialtyView {
    pub id: Uuid,
    pub name: String,
}

impl From<store::doctors::Specialty> for SpecialtyView {
    fn from(s: store::doctors::Specialty) -> Self {
        SpecialtyView {
            id: s.id.as_uuid(),
            name: s.name,
        }
    }
}

/// A doctor's profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct DoctorView {
    pub id: Uuid,
    pub clinic_id: Uuid,
    /// `pending`, `approved`, `rejected` or `suspended`.
    pub status: String,
    pub name: String,
    pub qualifications: String,
    pub languages: Vec<String>,
    pub registration_number: String,
    /// Consultation fee in the clinic currency's minor unit per ISO 4217 (paise for INR, yen
    /// for JPY, fils for KWD): 50000 is INR 500.00.
    pub fee_minor: i64,
    pub bio: String,
    pub specialties: Vec<SpecialtyView>,
    /// Why the profile was rejected or suspended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_reason: Option<String>,
}

impl From<store::doctors::Doctor> for DoctorView {
    fn from(d: store::doctors::Doctor) -> Self {
        DoctorView {
            id: d.id.as_uuid(),
            clinic_id: d.clinic_id.as_uuid(),
            status: d.status.as_str().into(),
            name: d.name,
            qualifications: d.qualifications,
            languages: d.languages,
            registration_number: d.registration_number,
            fee_minor: d.fee_minor,
            bio: d.bio,
            specialties: d.specialties.into_iter().map(Into::into).collect(),
            decision_reason: d.decision_reason,
        }
    }
}

/// A kind of visit.
#[derive(Debug, Serialize, ToSchema)]
pub struct VisitTypeView {
    pub id: Uuid,
    /// Set when only this doctor offers it.
    pub doctor_id: Option<Uuid>,
    pub name: String,
    pub duration_min: i32,
    pub buffer_before_min: i32,
    pub buffer_after_min: i32,
    /// In the clinic currency's minor unit per ISO 4217 (paise for INR, yen for JPY, fils for
    /// KWD): 50000 is INR 500.00.
    pub price_minor: i64,
    /// Asked for at booking, towards the price, in the same unit; 0: none.
    pub deposit_minor: i64,
    /// `in_person` or `video`.
    pub mode: String,
}

impl From<store::schedules::VisitType> for VisitTypeView {
    fn from(v: store::schedules::VisitType) -> Self {
        VisitTypeView {
            id: v.id.as_uuid(),
            doctor_id: v.doctor_id.map(|d| d.as_uuid()),
            name: v.name,
            duration_min: v.duration_min,
            buffer_before_min: v.buffer_before_min,
            buffer_after_min: v.buffer_after_min,
            price_minor: v.price_minor,
            deposit_minor: v.deposit_minor,
            mode: v.mode.as_str().into(),
        }
    }
}

/// Leave, a clinic holiday or extra hours.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExceptionView {
    pub id: Uuid,
    /// Absent for clinic holidays.
    pub doctor_id: Option<Uuid>,
    /// `leave`, `holiday` or `extra`.
    pub kind: String,
    pub from: String,
    pub to: String,
    /// Partial day, local `HH:MM`.
    pub start: Option<String>,
    pub end: Option<String>,
    pub note: String,
}

impl From<store::schedules::ExceptionRow> for ExceptionView {
    fn from(e: store::schedules::ExceptionRow) -> Self {
        use crate::app::local_time::hhmm;
        ExceptionView {
            id: e.id.as_uuid(),
            doctor_id: e.doctor_id.map(|d| d.as_uuid()),
            kind: e.kind,
            from: e.date_from.to_string(),
            to: e.date_to.to_string(),
            start: e.start_min.map(hhmm),
            end: e.end_min.map(hhmm),
            note: e.note,
        }
    }
}

/// An appointment.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppointmentView {
    pub id: Uuid,
    /// Short code for the phone and the front desk, e.g. `K7Q-4MX`.
    pub ref_code: String,
    /// `pending`, `booked`, `arrived`, `fulfilled`, `cancelled` or `noshow`.
    pub status: String,
    pub clinic_id: Uuid,
    pub clinic_name: String,
    pub doctor_id: Uuid,
    pub doctor_name: String,
    pub patient_id: Uuid,
    pub patient_name: String,
    pub visit_type_id: Uuid,
    pub visit_type_name: String,
    /// UTC, RFC 3339.
    pub start: String,
    pub end: String,
    /// In the clinic's zone, with offset.
    pub local_start: String,
    pub local_end: String,
    pub time_zone: String,
    /// `online`, `desk` or `phone`.
    pub source: String,
    pub reason: String,
    pub cancel_reason: Option<String>,
    pub rescheduled_from: Option<Uuid>,
    pub rescheduled_to: Option<Uuid>,
    /// Increases with every change.
    pub version: i32,
}

impl From<store::appointments::Appointment> for AppointmentView {
    fn from(a: store::appointments::Appointment) -> Self {
        use crate::app::local_time::{local_rfc3339, zone_named};
        let zone = zone_named(&a.clinic_time_zone);
        let local = |t: jiff::Timestamp| local_rfc3339(&zone, t);
        AppointmentView {
            id: a.id.as_uuid(),
            ref_code: a.ref_code,
            status: a.status.as_str().into(),
            clinic_id: a.clinic_id.as_uuid(),
            clinic_name: a.clinic_name,
            doctor_id: a.doctor_id.as_uuid(),
            doctor_name: a.doctor_name,
            patient_id: a.patient_id.as_uuid(),
            patient_name: a.patient_name,
            visit_type_id: a.visit_type_id.as_uuid(),
            visit_type_name: a.visit_type_name,
            start: time(a.start),
            end: time(a.end),
            local_start: local(a.start),
            local_end: local(a.end),
            time_zone: a.clinic_time_zone,
            source: a.source.as_str().into(),
            reason: a.reason,
            cancel_reason: a.cancel_reason,
            rescheduled_from: a.rescheduled_from.map(|x| x.as_uuid()),
            rescheduled_to: a.rescheduled_to.map(|x| x.as_uuid()),
            version: a.version,
        }
    }
}

/// A patient record of a clinic.
#[derive(Debug, Serialize, ToSchema)]
pub struct PatientView {
    pub id: Uuid,
    /// Medical record number, unique in the clinic.
    pub mrn: String,
    pub name: String,
    /// `female`, `male`, `other` or `unknown`; absent for records made by online booking
    /// until the desk completes them.
    pub sex: Option<String>,
    /// `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    /// True when the birth date was worked out from an age.
    pub birth_date_estimated: bool,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub emergency_name: Option<String>,
    pub emergency_phone: Option<String>,
    /// Whether the record is linked to the patient's own login.
    pub has_account: bool,
    /// Send it back with an edit; a stale one gets 409.
    pub version: i32,
    pub created_at: String,
    pub updated_at: String,
}

impl From<store::patients::Patient> for PatientView {
    fn from(p: store::patients::Patient) -> Self {
        let d = p.details;
        PatientView {
            id: p.id.as_uuid(),
            mrn: p.mrn,
            name: d.name,
            sex: d.sex.map(|s| s.as_str().to_owned()),
            birth_date: d.birth.map(|b| b.date.to_string()),
            birth_date_estimated: d.birth.is_some_and(|b| b.estimated),
            phone: d.phone,
            email: d.email,
            address: d.address,
            emergency_name: d.emergency_name,
            emergency_phone: d.emergency_phone,
            has_account: p.user_id.is_some(),
            version: p.version,
            created_at: p.created_at.to_string(),
            updated_at: p.updated_at.to_string(),
        }
    }
}
