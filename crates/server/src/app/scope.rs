//! Who is calling a use case, in which clinic. A [`Caller`] is made only by the constructors
//! here: from a signed-in session (staff with their roles in good standing there, or a
//! patient), or for the system (a named job or provider webhook). What each kind may do is
//! [`super::policy`]'s table; use cases ask it through [`Caller::can`] and [`Caller::require`].

use super::policy::{Capability, holds};
use crate::{
    auth::extract::{CurrentUser, RequestCtx},
    error::{AppError, AppResult},
    state::AppState,
};
use domain::{ClinicId, Role, UserId};
use std::fmt;
use store::{audit::Actor, clinics::Clinic};

/// A caller that acts without a person behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemActor {
    /// A background job, by its kind (`appointment.reminder`).
    Job(&'static str),
    /// An outside provider's webhook, by provider (`stripe`).
    Webhook(&'static str),
    /// The demo seeder, setting up the demo clinic as its admin would.
    Seed,
    /// The install's operator, at the command line (`docspot user …`).
    Operator,
}

impl fmt::Display for SystemActor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SystemActor::Job(kind) => write!(f, "job:{kind}"),
            SystemActor::Webhook(provider) => write!(f, "webhook:{provider}"),
            SystemActor::Seed => f.write_str("seed:demo"),
            SystemActor::Operator => f.write_str("cli:operator"),
        }
    }
}

impl SystemActor {
    /// The request context of one run of the actor (`run` names it: a job or event id),
    /// for use cases called outside any HTTP request.
    pub fn ctx(self, run: impl fmt::Display) -> RequestCtx {
        RequestCtx {
            request_id: run.to_string(),
            ip: self.to_string(),
            user_agent: String::new(),
        }
    }
}

#[derive(Clone)]
enum Who {
    /// Works at the clinic: every role they hold there in good standing (never empty).
    Staff {
        me: CurrentUser,
        roles: Vec<Role>,
    },
    /// Signed in, acting for themselves only.
    Patient {
        me: CurrentUser,
    },
    System(SystemActor),
}

/// The checked caller of a use case: who, acting in which (existing) clinic.
#[derive(Clone)]
pub struct Caller {
    clinic: Clinic,
    who: Who,
}

impl fmt::Debug for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let who = match &self.who {
            Who::Staff { me, roles } => format!("staff {} {roles:?}", me.id()),
            Who::Patient { me } => format!("patient {}", me.id()),
            Who::System(s) => s.to_string(),
        };
        write!(f, "Caller({who} in {})", self.clinic.id)
    }
}

impl Caller {
    /// `me` acting in `clinic`: staff with the roles they hold there in good standing
    /// (read from the store), or a patient when they hold none. Staff in a role the clinic
    /// requires a second factor of are refused until they have one on.
    pub async fn signed_in(state: &AppState, me: CurrentUser, clinic: Clinic) -> AppResult<Self> {
        let roles = store::memberships::roles_in(state.store().conn(), clinic.id, me.id()).await?;
        Self::with_roles(state, me, clinic, roles).await
    }

    /// [`Caller::signed_in`] in the clinic `id`, read with `me`'s roles there in one go;
    /// `NotFound` when there is no such clinic.
    pub async fn signed_in_at(state: &AppState, me: CurrentUser, id: ClinicId) -> AppResult<Self> {
        let (clinic, roles) = store::clinics::find_with_roles(state.store().conn(), id, me.id())
            .await?
            .ok_or(AppError::NotFound)?;
        Self::with_roles(state, me, clinic, roles).await
    }

    /// `me` in `clinic` holding `roles` there (as [`Caller::signed_in_at`] reads them).
    pub(crate) async fn with_roles(
        state: &AppState,
        me: CurrentUser,
        clinic: Clinic,
        roles: Vec<Role>,
    ) -> AppResult<Self> {
        if roles.iter().any(|r| clinic.totp_roles.contains(r))
            && !super::totp::is_on(state, me.user()).await?
        {
            return Err(AppError::Forbidden(super::totp::REQUIRED.into()));
        }
        Ok(Self::of(me, clinic, roles))
    }

    fn of(me: CurrentUser, clinic: Clinic, roles: Vec<Role>) -> Self {
        let who = if roles.is_empty() {
            Who::Patient { me }
        } else {
            Who::Staff { me, roles }
        };
        Caller { clinic, who }
    }

    /// `me` acting as a patient of `clinic`, for themselves only, even if they also work
    /// there (their own appointments and documents pages).
    pub fn patient(me: CurrentUser, clinic: Clinic) -> Self {
        Caller {
            clinic,
            who: Who::Patient { me },
        }
    }

    /// A job or provider webhook acting in `clinic`.
    pub fn system(clinic: Clinic, actor: SystemActor) -> Self {
        Caller {
            clinic,
            who: Who::System(actor),
        }
    }

    /// The same caller read afresh, for a response that lasts (a live page's stream):
    /// `None` once their session has ended, their account is deactivated or they no longer
    /// hold `cap` in the clinic. A system caller stays as it is.
    pub async fn reread(&self, state: &AppState, cap: Capability) -> AppResult<Option<Self>> {
        let Some(me) = self.me() else {
            return Ok(Some(self.clone()));
        };
        let c = state.store().conn();
        let id = me.id();
        let session = store::sessions::find_live(c, me.session().id, state.now())
            .await?
            .filter(|s| s.user_id == id);
        let Some(session) = session else {
            return Ok(None);
        };
        let Some(user) = store::users::find(c, id).await?.filter(|u| u.is_active) else {
            return Ok(None);
        };
        let me = CurrentUser(std::sync::Arc::new(crate::auth::identity::Identity {
            user,
            session,
        }));
        let clinic = super::clinics::get_clinic(state, self.clinic.id).await?;
        let fresh = Self::signed_in(state, me, clinic).await?;
        Ok(fresh.can(cap).then_some(fresh))
    }

    /// The clinic the caller acts in.
    pub fn clinic(&self) -> &Clinic {
        &self.clinic
    }
    pub fn clinic_id(&self) -> ClinicId {
        self.clinic.id
    }

    /// The signed-in person, if a person is calling.
    pub fn me(&self) -> Option<&CurrentUser> {
        match &self.who {
            Who::Staff { me, .. } | Who::Patient { me } => Some(me),
            Who::System(_) => None,
        }
    }

    /// The signed-in person, for what only a person can do (pages, authorship).
    pub fn person(&self) -> AppResult<&CurrentUser> {
        self.me()
            .ok_or_else(|| AppError::Forbidden("Only a signed-in person can do this.".into()))
    }

    /// The signed-in person's id, if a person is calling.
    pub fn user_id(&self) -> Option<UserId> {
        self.me().map(CurrentUser::id)
    }

    /// Whether `user` is the calling person (never true for a system caller or `None`).
    pub fn is_user(&self, user: Option<UserId>) -> bool {
        user.is_some() && user == self.user_id()
    }

    /// The roles held in the clinic (none for patients and system callers).
    pub fn roles(&self) -> &[Role] {
        match &self.who {
            Who::Staff { roles, .. } => roles,
            _ => &[],
        }
    }

    /// Whether the caller works at the clinic.
    pub fn is_staff(&self) -> bool {
        matches!(self.who, Who::Staff { .. })
    }

    /// The job or webhook calling, if the system is.
    pub fn system_actor(&self) -> Option<SystemActor> {
        match self.who {
            Who::System(s) => Some(s),
            _ => None,
        }
    }

    /// Whether the caller holds `cap` (the policy table's answer).
    pub fn can(&self, cap: Capability) -> bool {
        match &self.who {
            Who::Staff { roles, .. } => roles.iter().any(|r| holds(cap, Holder::Role(*r))),
            Who::Patient { .. } => holds(cap, Holder::Patient),
            Who::System(SystemActor::Job(_)) => holds(cap, Holder::Job),
            Who::System(SystemActor::Webhook(_)) => holds(cap, Holder::Webhook),
            Who::System(SystemActor::Seed) => holds(cap, Holder::Seed),
            // The operator acts through its own commands only, never as a clinic's caller.
            Who::System(SystemActor::Operator) => false,
        }
    }

    /// `NotFound` unless the caller holds `cap`: what they may not touch, they do not see.
    pub fn require(&self, cap: Capability) -> AppResult<()> {
        if self.can(cap) {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    /// The audit actor: the person with the request's id and address, or, for the system,
    /// no user and the system actor's name (`job:appointment.reminder`) as its origin.
    pub fn actor(&self, ctx: &RequestCtx) -> Actor {
        match &self.who {
            Who::System(s) => Actor {
                user: None,
                request_id: ctx.request_id.clone(),
                ip: s.to_string(),
            },
            _ => ctx.actor(self.user_id()),
        }
    }
}

/// Who may hold a capability in the policy table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// Staff holding this role in the clinic.
    Role(Role),
    /// A signed-in person acting for themselves (ownership is the use case's to check).
    Patient,
    /// A background job.
    Job,
    /// A provider's webhook.
    Webhook,
    /// The demo seeder.
    Seed,
}
