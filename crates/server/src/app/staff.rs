//! Clinic staff: invitations, accepting them, listing and deactivating members.

use super::{Fields, checked, mail};
use crate::app::{policy::Capability, scope::Caller};
use crate::routes;
use crate::{
    auth::{extract::RequestCtx, password},
    error::{AppError, AppResult},
    state::AppState,
};
use domain::{ClinicId, Email, MembershipId, PersonName, Role, UserId, password::NewPassword};
use serde_json::json;
use store::{Conn, audit, links, memberships, new_token, token_hash, users};

/// Who is invited where, and by whom.
pub struct InviteTarget<'a> {
    pub clinic: ClinicId,
    pub clinic_name: &'a str,
    pub email: &'a Email,
    pub role: Role,
    pub invited_by: UserId,
}

/// Records an invitation and enqueues its e-mail, in the caller's transaction.
pub async fn create_invite<C: Conn>(
    state: &AppState,
    c: &C,
    ctx: &RequestCtx,
    target: InviteTarget<'_>,
) -> AppResult<()> {
    let InviteTarget {
        clinic,
        clinic_name,
        email,
        role,
        invited_by,
    } = target;
    let now = state.now();
    let token = new_token();
    let expires = now.checked_add(state.settings().invite_ttl).unwrap_or(now);
    let id = links::insert_invite(
        c,
        clinic,
        email.as_str(),
        role,
        &token_hash(&token),
        invited_by,
        now,
        expires,
    )
    .await?;
    let link = format!(
        "{}{}?token={token}",
        state.settings().public_url,
        routes::invite()
    );
    mail::enqueue(
        c,
        Some(clinic),
        &mail::Email {
            to: email.to_string(),
            subject: format!("You are invited to {clinic_name} on DocSpot"),
            body: format!(
                "Hello,\n\nYou have been invited to join {clinic_name} on DocSpot as {}.\n\
                 To accept and set your password, open this link within 7 days:\n\n{link}\n\n\
                 The link works once. If you did not expect this, ignore this e-mail.\n",
                role.label().to_lowercase()
            ),
            ics: None,
        },
        now,
    )
    .await?;
    audit::append(
        c,
        &ctx.actor(Some(invited_by)),
        audit::Event::new("invite.create", "invite", id)
            .in_clinic(clinic)
            .detail(json!({"email": email.as_str(), "role": role.as_str()})),
        now,
    )
    .await?;
    Ok(())
}

/// A clinic admin invites a staff member by e-mail.
pub async fn invite_staff(
    state: &AppState,
    ctx: &RequestCtx,
    scope: &Caller,
    email: &str,
    role: &str,
) -> AppResult<()> {
    scope.require(Capability::ManageStaff)?;
    let mut f = Fields::default();
    let email = f.take(Email::parse(email));
    let role = f.take(role.parse::<Role>());
    f.finish()?;
    let (email, role) = (checked(email)?, checked(role)?);
    let tx = state.store().write().await?;
    let clinic = scope.clinic();
    create_invite(
        state,
        &tx,
        ctx,
        InviteTarget {
            clinic: clinic.id,
            clinic_name: &clinic.name,
            email: &email,
            role,
            invited_by: scope.person()?.id(),
        },
    )
    .await?;
    store::commit(tx).await?;
    Ok(())
}

/// An invitation as its link shows it.
pub async fn open_invite(state: &AppState, token: &str) -> AppResult<links::Invite> {
    if token.is_empty() || token.len() > 128 {
        return Err(AppError::NotFound);
    }
    links::find_open_invite(state.store().conn(), &token_hash(token), state.now())
        .await?
        .ok_or(AppError::NotFound)
}

/// Whether the invited address already has an account (then the invite asks for its password).
pub async fn invitee_has_account(state: &AppState, invite: &links::Invite) -> AppResult<bool> {
    let email = Email::parse(&invite.email)?;
    Ok(users::find_by_email(state.store().conn(), &email)
        .await?
        .is_some())
}

/// Accepts an invitation. A new person sets name and password; someone who already has an
/// account proves it with their password. The link then stops working.
pub async fn accept_invite(
    state: &AppState,
    ctx: &RequestCtx,
    token: &str,
    name: &str,
    password_raw: &str,
) -> AppResult<links::Invite> {
    let invite = open_invite(state, token).await.map_err(|_| {
        AppError::field(
            "token",
            "This invitation link is invalid, used or expired. Ask the clinic for a new one.",
        )
    })?;
    let email = Email::parse(&invite.email)?;
    let existing = users::find_by_email(state.store().conn(), &email).await?;
    let new_hash = match &existing {
        Some(u) => {
            if !password::verify(password_raw, u.password_hash.as_deref()).await {
                return Err(AppError::field(
                    "password",
                    "You already have a DocSpot account: enter its password to accept.",
                ));
            }
            None
        }
        None => {
            let mut f = Fields::default();
            let name = f.take(PersonName::parse(name));
            let pw = f.take(NewPassword::parse(password_raw));
            f.finish()?;
            Some((checked(name)?, password::hash(&checked(pw)?).await?))
        }
    };
    let now = state.now();
    let tx = state.store().write().await?;
    if !links::use_invite(&tx, invite.id, now).await? {
        return Err(AppError::field(
            "token",
            "This invitation has already been used.",
        ));
    }
    let (user_id, user_name) = match (existing, new_hash) {
        (Some(u), _) => (u.id, u.name),
        (None, Some((name, hash))) => {
            let user = users::insert(
                &tx,
                users::NewUser {
                    email: &email,
                    name: &name,
                    password_hash: Some(hash),
                    is_platform_admin: false,
                    is_patient: false,
                },
                now,
            )
            .await?;
            (user.id, user.name)
        }
        (None, None) => return Err(AppError::Internal("invite without credentials".into())),
    };
    // The invitation reached this mailbox, which confirms the address.
    users::set_email_verified(&tx, user_id, email.as_str(), now).await?;
    grant_in(
        &tx,
        &ctx.actor(Some(user_id)),
        Grant {
            clinic: invite.clinic_id,
            user: user_id,
            name: &user_name,
            role: invite.role,
        },
        json!({"role": invite.role.as_str(), "via": "invite", "invite": invite.id}),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(invite)
}

/// Who joins which clinic as what.
pub(crate) struct Grant<'a> {
    pub clinic: domain::ClinicId,
    pub user: domain::UserId,
    /// Their name, for a doctor's new profile.
    pub name: &'a str,
    pub role: Role,
}

/// Gives `g.user` the role `g.role` in `g.clinic`, in `c`'s transaction, audited as `actor`'s
/// with `detail` (an accepted invitation, the demo seeder). A doctor also gets a pending
/// profile, for an admin to complete and approve.
pub(crate) async fn grant_in<C: Conn>(
    c: &C,
    actor: &audit::Actor,
    g: Grant<'_>,
    detail: serde_json::Value,
    now: jiff::Timestamp,
) -> AppResult<domain::MembershipId> {
    let mid = memberships::grant(c, g.clinic, g.user, g.role, now).await?;
    if g.role == Role::Doctor {
        super::doctors::profile_for_invited(c, g.clinic, g.user, g.name, now).await?;
    }
    audit::append(
        c,
        actor,
        audit::Event::new("membership.grant", "membership", mid)
            .in_clinic(g.clinic)
            .detail(detail),
        now,
    )
    .await?;
    Ok(mid)
}

/// The clinic's staff and open invitations. Reading people's records is audited.
pub async fn list_staff(
    state: &AppState,
    ctx: &RequestCtx,
    scope: &Caller,
    limit: u64,
    offset: u64,
) -> AppResult<(Vec<memberships::Membership>, Vec<links::Invite>)> {
    scope.require(Capability::ManageStaff)?;
    let now = state.now();
    let tx = state.store().write().await?;
    let staff = memberships::of_clinic(
        &tx,
        scope.clinic_id(),
        limit.clamp(1, 200),
        offset.min(1_000_000),
    )
    .await?;
    let invites = links::invites_of_clinic(&tx, scope.clinic_id()).await?;
    audit::append(
        &tx,
        &scope.actor(ctx),
        audit::Event::new("membership.list", "clinic", scope.clinic_id())
            .in_clinic(scope.clinic_id())
            .detail(json!({"count": staff.len()})),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok((staff, invites))
}

/// Deactivates a staff membership. The clinic's last active admin cannot be removed.
pub async fn deactivate_staff(
    state: &AppState,
    ctx: &RequestCtx,
    scope: &Caller,
    id: MembershipId,
) -> AppResult<()> {
    scope.require(Capability::ManageStaff)?;
    let now = state.now();
    let tx = state.store().write().await?;
    let m = memberships::find_in_clinic(&tx, scope.clinic_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !m.is_active {
        return Err(AppError::Conflict(
            "This membership is already inactive.".into(),
        ));
    }
    if m.role == Role::Admin && memberships::active_admins(&tx, scope.clinic_id()).await? <= 1 {
        return Err(AppError::Conflict(
            "A clinic needs at least one active admin.".into(),
        ));
    }
    memberships::deactivate(&tx, scope.clinic_id(), id).await?;
    audit::append(
        &tx,
        &scope.actor(ctx),
        audit::Event::new("membership.deactivate", "membership", id)
            .in_clinic(scope.clinic_id())
            .detail(json!({"user": m.user_id, "role": m.role.as_str()})),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(())
}
