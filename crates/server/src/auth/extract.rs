//! Extractors that say who may call a handler. A handler's signature is its access rule.

use super::identity::{ClientMeta, ClinicRead, Identity, Resolved};
use crate::{
    app::{clinics::get_clinic, policy::Capability, scope::Caller},
    error::AppError,
    state::AppState,
};
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use domain::ClinicId;
use std::{marker::PhantomData, sync::Arc};
use store::audit::Actor;

/// Request metadata for audit events: request id, client IP, user agent.
#[derive(Debug, Clone)]
pub struct RequestCtx {
    pub request_id: String,
    pub ip: String,
    pub user_agent: String,
}

impl RequestCtx {
    /// The audit actor for this request, as `user` (or anonymous).
    pub fn actor(&self, user: Option<domain::UserId>) -> Actor {
        Actor {
            user,
            request_id: self.request_id.clone(),
            ip: self.ip.clone(),
        }
    }
}

impl RequestCtx {
    /// The context of the current request, from the metadata `http::observe` recorded.
    pub fn from_meta(meta: Option<&ClientMeta>) -> Self {
        RequestCtx {
            request_id: crate::error::request_id(),
            ip: meta.map_or_else(|| "unknown".into(), |m| m.ip.clone()),
            user_agent: meta.map(|m| m.user_agent.clone()).unwrap_or_default(),
        }
    }
}

impl FromRequestParts<AppState> for RequestCtx {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(RequestCtx::from_meta(parts.extensions.get::<ClientMeta>()))
    }
}

/// Any signed-in, active user.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub Arc<Identity>);

impl CurrentUser {
    pub fn user(&self) -> &store::users::User {
        &self.0.user
    }
    pub fn id(&self) -> domain::UserId {
        self.0.user.id
    }
    pub fn session(&self) -> &store::sessions::Session {
        &self.0.session
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Resolved>().and_then(|r| r.0.clone()) {
            Some(ident) if ident.user.is_active => Ok(CurrentUser(ident)),
            _ => Err(AppError::Unauthorized),
        }
    }
}

/// A platform admin (creates clinics).
#[derive(Debug, Clone)]
pub struct PlatformAdmin(pub CurrentUser);

impl FromRequestParts<AppState> for PlatformAdmin {
    type Rejection = AppError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let me = CurrentUser::from_request_parts(parts, state).await?;
        if me.user().is_platform_admin {
            Ok(PlatformAdmin(me))
        } else {
            Err(AppError::Forbidden(
                "Only platform admins may do this.".into(),
            ))
        }
    }
}

/// Which callers may pass a `ClinicScope`: those holding its capability (the policy table).
pub trait RoleSet: Send + Sync + 'static {
    const CAPABILITY: Capability;
}

/// Clinic admins only.
pub struct AdminOnly;
impl RoleSet for AdminOnly {
    const CAPABILITY: Capability = Capability::AdministerClinic;
}

/// Any active staff role.
pub struct AnyStaff;
impl RoleSet for AnyStaff {
    const CAPABILITY: Capability = Capability::ClinicWork;
}

/// The billing desk: admins and receptionists.
pub struct BillingDesk;
impl RoleSet for BillingDesk {
    const CAPABILITY: Capability = Capability::Billing;
}

/// Admins and doctors (a doctor acts on their own schedule; admins on anyone's).
pub struct AdminOrDoctor;
impl RoleSet for AdminOrDoctor {
    const CAPABILITY: Capability = Capability::ManagePractice;
}

/// A signed-in caller who holds `R`'s capability in the clinic named by the `{clinic_id}`
/// path segment. Anyone else, a malformed id and an unknown clinic all get the same 404.
pub struct ClinicScope<R: RoleSet> {
    caller: Caller,
    _roles: PhantomData<R>,
}

impl<R: RoleSet> ClinicScope<R> {
    /// The caller, for use cases.
    pub fn into_caller(self) -> Caller {
        self.caller
    }
}

impl<R: RoleSet> std::ops::Deref for ClinicScope<R> {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.caller
    }
}

/// The clinic id of a `{clinic_id}` path segment; a missing or malformed one is a 404.
async fn clinic_in_path(parts: &mut Parts, state: &AppState) -> Result<ClinicId, AppError> {
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|_| AppError::NotFound)?;
    let raw = params
        .iter()
        .find(|(k, _)| *k == "clinic_id")
        .map(|(_, v)| v)
        .ok_or(AppError::NotFound)?;
    raw.parse().map_err(|_| AppError::NotFound)
}

/// Any signed-in caller acting in an existing clinic named by `{clinic_id}`: staff (with
/// their roles) or a patient (no roles). Use cases decide what a patient may see.
impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let me = CurrentUser::from_request_parts(parts, state).await?;
        let id = clinic_in_path(parts, state).await?;
        caller_at(parts, state, me, id).await
    }
}

/// The signed-in caller in the clinic `id`: from the clinic and roles the middleware read
/// with the session when they are of the same clinic, else read now.
async fn caller_at(
    parts: &mut Parts,
    state: &AppState,
    me: CurrentUser,
    id: ClinicId,
) -> Result<Caller, AppError> {
    match parts.extensions.remove::<ClinicRead>() {
        Some(ClinicRead(read, at)) if read == id => {
            let (clinic, roles) = at.ok_or(AppError::NotFound)?;
            Caller::with_roles(state, me, clinic, roles).await
        }
        _ => Caller::signed_in_at(state, me, id).await,
    }
}

/// An existing clinic named by `{clinic_id}`, for public reads (no sign-in needed).
pub struct PublicClinic(pub store::clinics::Clinic);

impl FromRequestParts<AppState> for PublicClinic {
    type Rejection = AppError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ClinicInPath(id) = ClinicInPath::from_request_parts(parts, state).await?;
        get_clinic(state, id).await.map(PublicClinic)
    }
}

/// The well-formed id of `{clinic_id}`, not yet looked up, for public reads that look the
/// clinic up beside their other reads. Whether it exists is theirs to check.
pub struct ClinicInPath(pub ClinicId);

impl FromRequestParts<AppState> for ClinicInPath {
    type Rejection = AppError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        clinic_in_path(parts, state).await.map(ClinicInPath)
    }
}

/// A clinic admin of the clinic in the path.
pub type ClinicAdmin = ClinicScope<AdminOnly>;

impl<R: RoleSet> FromRequestParts<AppState> for ClinicScope<R> {
    type Rejection = AppError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let me = CurrentUser::from_request_parts(parts, state).await?;
        let clinic = clinic_in_path(parts, state).await?;
        let caller = caller_at(parts, state, me, clinic).await?;
        caller.require(R::CAPABILITY)?;
        Ok(ClinicScope {
            caller,
            _roles: PhantomData,
        })
    }
}
