//! The layout's navigation: what links a visitor sees and which clinic they work in.

use super::error::PageError;
use crate::routes;
use crate::{auth::CurrentUser, state::AppState};
use axum::{extract::FromRequestParts, http::request::Parts};
use domain::{ClinicId, Role};
use store::memberships::Membership;

/// One entry of the clinic switcher.
#[derive(Debug, Clone)]
pub struct ClinicChoice {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

/// What `base.html` needs to draw the header.
#[derive(Debug, Clone, Default)]
pub struct Nav {
    /// False on error pages, where we do not look the visitor up: only "Home" is shown.
    pub known: bool,
    pub signed_in: bool,
    pub platform_admin: bool,
    /// The staff page of the active clinic, when the visitor administers it.
    pub staff_href: Option<String>,
    /// The active clinic's day page, for its staff.
    pub day_href: Option<String>,
    /// The active clinic's queue today, for its staff.
    pub queue_href: Option<String>,
    /// The active clinic's patient registry, for its staff.
    pub patients_href: Option<String>,
    /// The active clinic's settings, for its admins.
    pub settings_href: Option<String>,
    /// The active clinic's billing desk, for those who bill.
    pub billing_href: Option<String>,
    /// Whether to link the visitor's own appointments (patients, and anyone not on staff).
    pub own_appointments: bool,
    pub clinics: Vec<ClinicChoice>,
    /// Which entry is the current page: home, clinics, staff, account, login, register.
    pub current: &'static str,
}

impl Nav {
    /// Header for a visitor who is not signed in.
    pub fn anonymous(current: &'static str) -> Self {
        Nav {
            known: true,
            current,
            ..Nav::default()
        }
    }

    /// Header for error pages.
    pub fn minimal() -> Self {
        Nav::default()
    }

    /// Header for a signed-in user with their active memberships.
    pub fn signed_in(me: &CurrentUser, memberships: &[Membership], current: &'static str) -> Self {
        let active = active_clinic(me, memberships);
        let mut clinics: Vec<ClinicChoice> = Vec::new();
        for m in memberships {
            if !clinics.iter().any(|c| c.id == m.clinic_id.to_string()) {
                clinics.push(ClinicChoice {
                    id: m.clinic_id.to_string(),
                    name: m.clinic_name.clone(),
                    selected: Some(m.clinic_id) == active,
                });
            }
        }
        let holds = |role: Option<Role>| {
            active.filter(|c| {
                memberships
                    .iter()
                    .any(|m| m.clinic_id == *c && role.is_none_or(|r| m.role == r))
            })
        };
        let admin_of = holds(Some(Role::Admin));
        let bills_in = active.filter(|c| {
            memberships.iter().any(|m| {
                m.clinic_id == *c
                    && crate::app::policy::holds(
                        crate::app::policy::Capability::Billing,
                        crate::app::policy::Holder::Role(m.role),
                    )
            })
        });
        Nav {
            known: true,
            signed_in: true,
            platform_admin: me.user().is_platform_admin,
            staff_href: admin_of.map(routes::staff),
            day_href: holds(None).map(routes::day),
            patients_href: holds(None).map(routes::patients),
            queue_href: holds(None).map(routes::queue),
            settings_href: admin_of.map(routes::settings),
            billing_href: bills_in.map(routes::bills),
            own_appointments: me.user().is_patient || memberships.is_empty(),
            clinics,
            current,
        }
    }

    /// Whether `item` is the page being shown (for `aria-current`).
    pub fn is(&self, item: &str) -> bool {
        self.current == item
    }

    /// Whether to show the clinic switcher.
    pub fn can_switch(&self) -> bool {
        self.clinics.len() > 1
    }
}

/// The session's working clinic if the user still belongs to it, else their first clinic.
pub fn active_clinic(me: &CurrentUser, memberships: &[Membership]) -> Option<ClinicId> {
    me.session()
        .active_clinic_id
        .filter(|c| memberships.iter().any(|m| m.clinic_id == *c))
        .or_else(|| memberships.first().map(|m| m.clinic_id))
}

/// The user's active memberships, for the header (unaudited: only their own clinics and roles).
pub async fn memberships(state: &AppState, me: &CurrentUser) -> Result<Vec<Membership>, PageError> {
    Ok(crate::app::accounts::my_clinics(state, me).await?)
}

/// The header for a signed-in user.
pub async fn nav(
    state: &AppState,
    me: &CurrentUser,
    current: &'static str,
) -> Result<Nav, PageError> {
    Ok(Nav::signed_in(me, &memberships(state, me).await?, current))
}

/// The caller if signed in; pages open to everyone use it to draw the right header.
pub struct MaybeUser(pub Option<CurrentUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(MaybeUser(
            CurrentUser::from_request_parts(parts, state).await.ok(),
        ))
    }
}

impl MaybeUser {
    /// The header for whoever is calling.
    pub async fn nav(&self, state: &AppState, current: &'static str) -> Result<Nav, PageError> {
        match &self.0 {
            Some(me) => nav(state, me, current).await,
            None => Ok(Nav::anonymous(current)),
        }
    }
}
