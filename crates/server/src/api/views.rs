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
    /// RFC 3339, UTC.
    pub created_at: String,
}

impl From<store::clinics::Clinic> for ClinicView {
    fn from(c: store::clinics::Clinic) -> Self {
        ClinicView {
            id: c.id.as_uuid(),
            slug: c.slug,
            name: c.name,
            time_zone: c.time_zone,
            currency: c.currency,
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

impl From<store::tokens::Invite> for InviteView {
    fn from(i: store::tokens::Invite) -> Self {
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
    /// Active clinic roles.
    pub memberships: Vec<MembershipView>,
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
