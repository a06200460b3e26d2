//! Accounts: self-registration, e-mail confirmation, platform admins, the caller's profile,
//! passwords and resets.

use super::{Fields, checked, limit, mail};
use crate::routes;
use crate::{
    auth::{CurrentUser, extract::RequestCtx, password},
    error::{AppError, AppResult},
    state::AppState,
};
use domain::phone::MobileNumber;
use domain::{Email, PersonName, password::NewPassword};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use store::{Conn, audit, links, memberships::Membership, new_token, sessions, token_hash, users};

pub use super::password_resets::{
    password_reset_mail, request_password_reset, reset_link_is_open, reset_password,
};

/// Input of self-registration.
pub struct Registration<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password: &'a str,
    /// A mobile number for texts, as typed; empty for none.
    pub phone: &'a str,
    /// Where `phone` is read when typed without `+` (see `phones::region`).
    pub region: domain::phone::Region,
}

/// Checks a new account's e-mail, name and password together (every error at once) and
/// hashes the password.
pub(crate) async fn new_account(
    email: &str,
    name: &str,
    password_raw: &str,
) -> AppResult<(Email, PersonName, String)> {
    let (email, name, hash, _) = checked_account(email, name, password_raw, None).await?;
    Ok((email, name, hash))
}

/// [`new_account`] with an optional mobile number as typed, read in its region.
async fn checked_account(
    email: &str,
    name: &str,
    password_raw: &str,
    phone: Option<(&str, domain::phone::Region)>,
) -> AppResult<(Email, PersonName, String, Option<MobileNumber>)> {
    let mut f = Fields::default();
    let email = f.take(Email::parse(email));
    let name = f.take(PersonName::parse(name));
    let pw = f.take(NewPassword::parse(password_raw));
    let phone = match phone {
        Some((raw, region)) => f.take(super::phones::optional(raw, region)),
        None => Some(None),
    };
    f.finish()?;
    let hash = password::hash(&checked(pw)?).await?;
    Ok((checked(email)?, checked(name)?, hash, checked(phone)?))
}

/// A taken e-mail becomes a field error with `message`.
fn email_taken(message: &str) -> impl FnOnce(store::StoreError) -> AppError + '_ {
    move |e| match e {
        store::StoreError::Conflict(_) => AppError::field("email", message),
        other => other.into(),
    }
}

/// What a registration did. The caller answers both alike, so that registering cannot tell
/// anyone whether an address has an account.
#[derive(Debug)]
pub enum Signup {
    /// A new account, sent a confirmation link.
    Created(users::User),
    /// The address already had an account; its owner was e-mailed instead.
    AlreadyRegistered { email: String, name: String },
}

/// A patient creates their own account. For an address that already has one, the same
/// work is done (the password is hashed, one transaction writes a job and an audit event)
/// and the owner is told by e-mail instead.
#[tracing::instrument(name = "register_patient", skip_all)]
pub async fn register_patient(
    state: &AppState,
    ctx: &RequestCtx,
    input: Registration<'_>,
) -> AppResult<Signup> {
    limit(state, "register", &ctx.ip, None)?;
    let (email, name, hash, phone) = checked_account(
        input.email,
        input.name,
        input.password,
        Some((input.phone, input.region)),
    )
    .await?;
    let now = state.now();
    let tx = state.store().write().await?;
    if let Some(owner) = users::find_by_email(&tx, &email).await? {
        let note = mail::Email {
            to: owner.email.clone(),
            subject: "Someone tried to register with your e-mail address".into(),
            body: format!(
                "Hello {},\n\nSomeone tried to create a DocSpot account with this e-mail address, \
                 which already has one. If it was you, sign in instead:\n\n{url}{}\n\n\
                 Forgot your password? Choose a new one here:\n\n{url}{}\n\n\
                 If it was not you, you need not do anything: your account is unchanged.\n",
                owner.name,
                routes::login(),
                routes::forgot_password(),
                url = state.settings().public_url,
            ),
            ics: None,
        };
        mail::enqueue(&tx, None, &note, now).await?;
        let event = audit::Event::new("user.register_existing", "user", owner.id);
        audit::append(&tx, &ctx.actor(None), event, now).await?;
        store::commit(tx).await?;
        return Ok(Signup::AlreadyRegistered {
            email: email.as_str().to_owned(),
            name: name.as_str().to_owned(),
        });
    }
    let new = users::NewUser {
        email: &email,
        name: &name,
        password_hash: Some(hash),
        is_platform_admin: false,
        is_patient: true,
    };
    let mut user = users::insert(&tx, new, now).await.map_err(email_taken(
        "An account with this e-mail already exists. Sign in or reset your password.",
    ))?;
    if let Some(p) = &phone {
        users::set_phone(&tx, user.id, Some(p)).await?;
        user.phone = Some(p.as_str().to_owned());
    }
    send_confirmation(&tx, state, &user, now).await?;
    let event =
        audit::Event::new("user.register", "user", user.id).detail(json!({"role": "patient"}));
    audit::append(&tx, &ctx.actor(Some(user.id)), event, now).await?;
    store::commit(tx).await?;
    Ok(Signup::Created(user))
}

/// Gives `me`, who has no mobile number yet, the one typed (read in `clinic`'s country);
/// nothing when empty. Changing a number is another matter (it needs a code sent to it).
pub async fn add_phone(
    state: &AppState,
    ctx: &RequestCtx,
    me: &crate::auth::CurrentUser,
    raw: &str,
    clinic: Option<&store::clinics::Clinic>,
) -> AppResult<()> {
    let Some(phone) = super::phones::optional(raw, super::phones::region(state, clinic))? else {
        return Ok(());
    };
    let now = state.now();
    let tx = state.store().write().await?;
    users::set_phone(&tx, me.id(), Some(&phone)).await?;
    let event = audit::Event::new("user.phone_add", "user", me.id());
    audit::append(&tx, &ctx.actor(Some(me.id())), event, now).await?;
    store::commit(tx).await?;
    Ok(())
}

/// How long a new confirmation link waits after the previous one.
const CONFIRMATION_GAP: SignedDuration = SignedDuration::from_secs(60);

/// Queues, in the caller's transaction, an e-mail with a link that confirms `user`'s address.
async fn send_confirmation<C: Conn>(
    tx: &C,
    state: &AppState,
    user: &users::User,
    now: Timestamp,
) -> AppResult<()> {
    let token = new_token();
    let ttl = state.settings().confirm_ttl;
    let expires = now.checked_add(ttl).unwrap_or(now);
    links::insert_confirmation(tx, user.id, &user.email, &token_hash(&token), now, expires).await?;
    let link = format!(
        "{}{}?token={token}",
        state.settings().public_url,
        routes::confirm_email()
    );
    let email = mail::Email {
        to: user.email.clone(),
        subject: "Confirm your e-mail address for DocSpot".into(),
        body: format!(
            "Hello {},\n\nPlease confirm that this is your e-mail address by opening this link \
             within {} days:\n\n{link}\n\nConfirming lets a clinic that already has your \
             patient record use it for your online bookings.\n\nIf you did not create a \
             DocSpot account, ignore this e-mail.\n",
            user.name,
            ttl.as_hours() / 24
        ),
        ics: None,
    };
    mail::enqueue(tx, None, &email, now).await?;
    Ok(())
}

/// E-mails the caller a new confirmation link (at most one a minute).
pub async fn request_confirmation(
    state: &AppState,
    ctx: &RequestCtx,
    me: &CurrentUser,
) -> AppResult<()> {
    let user = me.user();
    limit(state, "confirm", &ctx.ip, Some(&user.email))?;
    if user.email_verified_at.is_some() {
        return Err(AppError::Conflict(
            "Your e-mail address is already confirmed.".into(),
        ));
    }
    let now = state.now();
    let tx = state.store().write().await?;
    if let Some(last) = links::last_confirmation_sent(&tx, user.id).await? {
        let wait = last.duration_until(now);
        if wait < CONFIRMATION_GAP {
            return Err(AppError::RateLimited {
                retry_after_secs: (CONFIRMATION_GAP - wait).as_secs().max(1) as u64,
            });
        }
    }
    send_confirmation(&tx, state, user, now).await?;
    audit::append(
        &tx,
        &ctx.actor(Some(user.id)),
        audit::Event::new("user.email_confirmation_request", "user", user.id),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(())
}

/// Confirms an account's e-mail address with a link's token.
pub async fn confirm_email(state: &AppState, ctx: &RequestCtx, token: &str) -> AppResult<()> {
    limit(state, "confirm", &ctx.ip, None)?;
    let invalid = || {
        AppError::field(
            "token",
            "This confirmation link is invalid, used or expired. Your account page sends a new one.",
        )
    };
    if token.is_empty() || token.len() > 128 {
        return Err(invalid());
    }
    let now = state.now();
    let tx = state.store().write().await?;
    let Some((user, email)) = links::take_confirmation(&tx, &token_hash(token), now).await? else {
        return Err(invalid());
    };
    if !users::set_email_verified(&tx, user, &email, now).await? {
        // Already confirmed by another link: fine. A link for an old address is not.
        let current = users::find(&tx, user).await?.ok_or_else(invalid)?;
        if current.email != email || current.email_verified_at.is_none() {
            return Err(invalid());
        }
    }
    audit::append(
        &tx,
        &ctx.actor(Some(user)),
        audit::Event::new("user.email_confirm", "user", user),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(())
}

/// Creates a platform admin (from the command line). Fails if the e-mail is taken.
pub async fn create_platform_admin(
    state: &AppState,
    email: &str,
    name: &str,
    password_raw: &str,
) -> AppResult<users::User> {
    let account = new_account(email, name, password_raw).await?;
    let now = state.now();
    let tx = state.store().write().await?;
    let actor = audit::Actor {
        user: None,
        request_id: "cli".into(),
        ip: "local".into(),
    };
    let user = insert_account_in(&tx, &actor, account, AccountKind::PlatformAdmin, now).await?;
    store::commit(tx).await?;
    Ok(user)
}

/// What an account created by [`insert_account_in`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AccountKind {
    PlatformAdmin,
    /// Works at a clinic (the membership is granted separately).
    Staff,
    Patient,
}

/// Creates a checked account ([`new_account`]) in `c`'s transaction, audited as `actor`'s
/// (the `user create-admin` command, the demo seeder). A taken address is a field error.
pub(crate) async fn insert_account_in<C: Conn>(
    c: &C,
    actor: &audit::Actor,
    (email, name, hash): (Email, PersonName, String),
    kind: AccountKind,
    now: Timestamp,
) -> AppResult<users::User> {
    let new = users::NewUser {
        email: &email,
        name: &name,
        password_hash: Some(hash),
        is_platform_admin: kind == AccountKind::PlatformAdmin,
        is_patient: kind == AccountKind::Patient,
    };
    let user = users::insert(c, new, now)
        .await
        .map_err(email_taken("A user with this e-mail already exists."))?;
    let event = match kind {
        AccountKind::PlatformAdmin => {
            audit::Event::new("user.create_platform_admin", "user", user.id)
        }
        AccountKind::Staff => {
            audit::Event::new("user.create", "user", user.id).detail(json!({"role": "staff"}))
        }
        AccountKind::Patient => {
            audit::Event::new("user.create", "user", user.id).detail(json!({"role": "patient"}))
        }
    };
    audit::append(c, actor, event, now).await?;
    Ok(user)
}

/// The caller's active clinic roles, unaudited: for drawing their own navigation.
pub async fn my_clinics(state: &AppState, me: &CurrentUser) -> AppResult<Vec<Membership>> {
    Ok(store::memberships::active_of_user(state.store().conn(), me.id()).await?)
}

/// The caller's own record and roles. Reading a person's record is audited.
pub async fn me(
    state: &AppState,
    ctx: &RequestCtx,
    me: &CurrentUser,
) -> AppResult<Vec<Membership>> {
    let now = state.now();
    // Read before the write turn, which on SQLite every writer of the install waits for.
    let roles = store::memberships::active_of_user(state.store().conn(), me.id()).await?;
    let tx = state.store().write().await?;
    let event = audit::Event::new("user.read", "user", me.id()).detail(json!({"self": true}));
    audit::append(&tx, &ctx.actor(Some(me.id())), event, now).await?;
    store::commit(tx).await?;
    Ok(roles)
}

/// Changes the caller's password and ends all their other sessions.
pub async fn change_password(
    state: &AppState,
    ctx: &RequestCtx,
    me: &CurrentUser,
    current: &str,
    new: &str,
) -> AppResult<()> {
    limit(state, "password", &ctx.ip, Some(&me.user().email))?;
    if !password::verify(current, me.user().password_hash.as_deref()).await {
        return Err(AppError::field(
            "current_password",
            "Your current password is not correct.",
        ));
    }
    let hash = password::hash(&NewPassword::parse(new)?).await?;
    let now = state.now();
    let tx = state.store().write().await?;
    users::set_password(&tx, me.id(), &hash).await?;
    let ended =
        sessions::revoke_all_but(&tx, me.id(), Some(me.session().id), "password changed", now)
            .await?;
    let event = audit::Event::new("user.password_change", "user", me.id())
        .detail(json!({"sessions_ended": ended}));
    audit::append(&tx, &ctx.actor(Some(me.id())), event, now).await?;
    store::commit(tx).await?;
    Ok(())
}
