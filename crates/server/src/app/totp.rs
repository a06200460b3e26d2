//! Staff's second factor: enrolling a TOTP authenticator (a secret shown once, live only
//! after a code from the app proves it was saved) with ten single-use recovery codes;
//! signing in with a password then asks for a code before a session opens; and turning it
//! off, with a code. A clinic may require it of its admins and doctors: until they have it
//! they cannot act there (`Caller::signed_in`).

use super::{limit, policy::Capability, scope::Caller, sessions};
use crate::{
    auth::{CurrentUser, RequestCtx, totp},
    error::{AppError, AppResult},
    state::AppState,
};
use domain::Role;
use jiff::SignedDuration;
use rand::RngCore;
use store::{audit, new_token, token_hash, totp as factors, users::User};

/// What the authenticator app needs, shown once.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// Base32, for typing in.
    pub secret: String,
    /// `otpauth://totp/…`, for scanning.
    pub uri: String,
}

/// Where an account stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub on: bool,
    pub recovery_codes_left: i64,
}

/// How long a password sign-in waits for its code.
const CHALLENGE_TTL: SignedDuration = SignedDuration::from_mins(5);
/// Wrong codes a challenge takes before it ends.
const CHALLENGE_TRIES: i32 = 5;
const RECOVERY_CODES: usize = 10;

/// A sign-in that proved the password: a session, or a challenge awaiting the code.
#[derive(Debug, Clone)]
pub enum SignIn {
    Session(sessions::Tokens),
    /// Answer with [`answer`] and this token within `expires_in` seconds.
    Challenge {
        token: String,
        expires_in: i64,
    },
}

fn wrong_code() -> AppError {
    AppError::field(
        "code",
        "That code is not right: use the one your authenticator app shows now.",
    )
}

async fn confirmed(state: &AppState, user: &User) -> AppResult<Option<factors::Factor>> {
    Ok(factors::find(state.store().conn(), user.id)
        .await?
        .filter(|f| f.confirmed_at.is_some()))
}

/// The signed-in person's second factor.
pub async fn status(state: &AppState, me: &CurrentUser) -> AppResult<Status> {
    let c = state.store().conn();
    Ok(Status {
        on: confirmed(state, me.user()).await?.is_some(),
        recovery_codes_left: factors::recovery_codes_left(c, me.id()).await?,
    })
}

/// Starts setting up an authenticator (staff only; audited): a new secret, replacing one
/// never confirmed.
pub async fn enroll(state: &AppState, ctx: &RequestCtx, me: &CurrentUser) -> AppResult<Enrolment> {
    if me.user().is_patient {
        return Err(AppError::Forbidden(
            "Two-factor sign-in is for clinic staff; patients can sign in with a texted code."
                .into(),
        ));
    }
    let secret = totp::new_secret();
    let now = state.now();
    let tx = state.store().write().await?;
    if !factors::enroll(&tx, me.id(), &totp::base32(&secret), now).await? {
        return Err(AppError::Conflict(
            "Two-factor sign-in is already on; turn it off first to use another app.".into(),
        ));
    }
    audit::append(
        &tx,
        &ctx.actor(Some(me.id())),
        audit::Event::new("user.totp_enroll", "user", me.id()),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(Enrolment {
        uri: totp::otpauth_uri("DocSpot", &me.user().email, &secret),
        secret: totp::base32(&secret),
    })
}

/// A new recovery code: ten base32 letters in two groups (`k3vq7-m2xpa`).
fn recovery_code() -> String {
    let mut bytes = [0u8; 7];
    rand::rng().fill_bytes(&mut bytes);
    let text = totp::base32(&bytes).to_lowercase();
    format!("{}-{}", &text[..5], &text[5..10])
}

/// How a recovery code is kept: the hash of its letters, without case or dash.
fn recovery_hash(code: &str) -> String {
    let letters: String = code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    token_hash(&format!("docspot-recovery:{letters}"))
}

/// Turns the factor on with a first code from the app (audited); answers the recovery
/// codes, shown this once.
pub async fn confirm(
    state: &AppState,
    ctx: &RequestCtx,
    me: &CurrentUser,
    code: &str,
) -> AppResult<Vec<String>> {
    limit(state, "totp", &ctx.ip, Some(&me.id().to_string()))?;
    let factor = factors::find(state.store().conn(), me.id()).await?;
    let Some(factor) = factor else {
        return Err(AppError::Conflict(
            "Start setting up first: there is no authenticator to confirm.".into(),
        ));
    };
    if factor.confirmed_at.is_some() {
        return Err(AppError::Conflict(
            "Two-factor sign-in is already on.".into(),
        ));
    }
    let secret = totp::from_base32(&factor.secret)
        .ok_or_else(|| AppError::Internal("a stored TOTP secret is not base32".into()))?;
    let now = state.now();
    let step =
        totp::check(&secret, code, now.as_second(), factor.last_step).ok_or_else(wrong_code)?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
    let hashes: Vec<String> = codes.iter().map(|c| recovery_hash(c)).collect();
    let tx = state.store().write().await?;
    if !factors::used_step(&tx, me.id(), step, now).await? {
        return Err(wrong_code());
    }
    factors::set_recovery_codes(&tx, me.id(), &hashes, now).await?;
    audit::append(
        &tx,
        &ctx.actor(Some(me.id())),
        audit::Event::new("user.totp_on", "user", me.id()),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(codes)
}

/// Whether `code` (from the app, or a recovery code) proves `user`'s factor now; a code
/// proven is spent, in `tx`.
async fn prove<C: store::Conn>(
    state: &AppState,
    c: &C,
    user: &User,
    factor: &factors::Factor,
    code: &str,
) -> AppResult<bool> {
    let now = state.now();
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
        let secret = totp::from_base32(&factor.secret)
            .ok_or_else(|| AppError::Internal("a stored TOTP secret is not base32".into()))?;
        return Ok(
            match totp::check(&secret, &digits, now.as_second(), factor.last_step) {
                Some(step) => factors::used_step(c, user.id, step, now).await?,
                None => false,
            },
        );
    }
    if code.len() > 32 {
        return Ok(false);
    }
    Ok(factors::use_recovery_code(c, user.id, &recovery_hash(code), now).await?)
}

/// Turns the factor off, with a code from the app or a recovery code (audited).
pub async fn disable(
    state: &AppState,
    ctx: &RequestCtx,
    me: &CurrentUser,
    code: &str,
) -> AppResult<()> {
    limit(state, "totp", &ctx.ip, Some(&me.id().to_string()))?;
    let Some(factor) = confirmed(state, me.user()).await? else {
        return Err(AppError::Conflict("Two-factor sign-in is not on.".into()));
    };
    let now = state.now();
    let tx = state.store().write().await?;
    if !prove(state, &tx, me.user(), &factor, code).await? {
        return Err(wrong_code());
    }
    factors::remove(&tx, me.id()).await?;
    audit::append(
        &tx,
        &ctx.actor(Some(me.id())),
        audit::Event::new("user.totp_off", "user", me.id()),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(())
}

/// The operator takes two-factor sign-in off the account `email` (a staff member who lost
/// both their phone and their recovery codes): the factor and its codes go, every session
/// of the account ends (the lost phone may be in other hands), and it is audited. They sign
/// in with their password and set it up again (where their clinic requires it, they must
/// before acting there). Answers whether the account had it on.
pub async fn reset_by_operator(state: &AppState, email: &str) -> AppResult<bool> {
    let email = domain::Email::parse(email).map_err(AppError::from)?;
    let user = store::users::find_by_email(state.store().conn(), &email)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = state.now();
    let tx = state.store().write().await?;
    if factors::find(&tx, user.id).await?.is_none() {
        return Ok(false);
    }
    factors::remove(&tx, user.id).await?;
    store::sessions::revoke_all_but(&tx, user.id, None, "two-factor reset", now).await?;
    let ctx = super::scope::SystemActor::Operator.ctx("user reset-totp");
    audit::append(
        &tx,
        &ctx.actor(None),
        audit::Event::new("user.totp_reset", "user", user.id),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(true)
}

/// After `user` proved their password: a session, or, with a factor on, a challenge
/// awaiting its code (the session is audited as `action` once it opens).
pub async fn sign_in(
    state: &AppState,
    ctx: &RequestCtx,
    user: &User,
    action: &str,
) -> AppResult<SignIn> {
    if confirmed(state, user).await?.is_none() {
        return Ok(SignIn::Session(
            sessions::start_session(state, ctx, user, action).await?,
        ));
    }
    let token = new_token();
    let now = state.now();
    let expires = now.checked_add(CHALLENGE_TTL).unwrap_or(now);
    let tx = state.store().write().await?;
    factors::challenge(&tx, &token_hash(&token), user.id, action, now, expires).await?;
    store::commit(tx).await?;
    Ok(SignIn::Challenge {
        token,
        expires_in: CHALLENGE_TTL.as_secs(),
    })
}

/// Answers a sign-in challenge with a code from the app or a recovery code: the session
/// opens. Five wrong codes end the challenge; rate-limited per IP.
pub async fn answer(
    state: &AppState,
    ctx: &RequestCtx,
    token: &str,
    code: &str,
) -> AppResult<(User, sessions::Tokens)> {
    limit(state, "totp", &ctx.ip, None)?;
    let expired = || {
        AppError::field(
            "mfa_token",
            "This sign-in has expired or ended; sign in with your password again.",
        )
    };
    if token.len() > 128 {
        return Err(expired());
    }
    let hash = token_hash(token);
    let now = state.now();
    let c = state.store().conn();
    let challenge = factors::live_challenge(c, &hash, now)
        .await?
        .filter(|ch| ch.attempts < CHALLENGE_TRIES)
        .ok_or_else(expired)?;
    let user = store::users::find(c, challenge.user)
        .await?
        .filter(|u| u.is_active)
        .ok_or_else(expired)?;
    let factor = confirmed(state, &user).await?.ok_or_else(expired)?;
    let tx = state.store().write().await?;
    if !prove(state, &tx, &user, &factor, code).await? {
        factors::wrong_try(&tx, &hash).await?;
        store::commit(tx).await?;
        tracing::info!(request_id = %ctx.request_id, "wrong second-factor code");
        return Err(wrong_code());
    }
    if !factors::close_challenge(&tx, &hash, now).await? {
        return Err(expired());
    }
    store::commit(tx).await?;
    let tokens = sessions::start_session(state, ctx, &user, &challenge.action).await?;
    Ok((user, tokens))
}

/// Whether `user` has a second factor on.
pub async fn is_on(state: &AppState, user: &User) -> AppResult<bool> {
    Ok(confirmed(state, user).await?.is_some())
}

/// Why staff without a second factor cannot act in a clinic that requires one of them.
pub const REQUIRED: &str = "This clinic requires two-factor sign-in for your role: turn it on under Your account, Two-factor sign-in.";

/// The roles `caller`'s clinic requires a second factor of (its admins).
pub fn clinic_roles(caller: &Caller) -> AppResult<Vec<Role>> {
    caller.require(Capability::ClinicSettings)?;
    Ok(caller.clinic().totp_roles.clone())
}

/// Sets the roles the clinic requires a second factor of (its admins; audited). An admin
/// without one cannot require it of a role they hold: they would lock themselves out.
pub async fn set_clinic_roles(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    roles: &[Role],
) -> AppResult<Vec<Role>> {
    caller.require(Capability::ClinicSettings)?;
    let mut roles: Vec<Role> = Role::ALL
        .into_iter()
        .filter(|r| roles.contains(r))
        .collect();
    roles.dedup();
    if let Some(me) = caller.me()
        && caller.roles().iter().any(|r| roles.contains(r))
        && !is_on(state, me.user()).await?
    {
        return Err(AppError::Conflict(
            "Turn on two-factor sign-in for yourself first (Your account), or you would be locked out."
                .into(),
        ));
    }
    let now = state.now();
    let tx = state.store().write().await?;
    store::clinics::set_totp_roles(&tx, caller.clinic_id(), &roles).await?;
    audit::append(
        &tx,
        &caller.actor(ctx),
        audit::Event::new("clinic.totp_roles", "clinic", caller.clinic_id())
            .in_clinic(caller.clinic_id())
            .detail(serde_json::json!({
                "roles": roles.iter().map(|r| r.as_str()).collect::<Vec<_>>()
            })),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(roles)
}

#[cfg(test)]
mod tests {
    use super::{recovery_code, recovery_hash};

    #[test]
    fn recovery_codes_are_two_groups_and_read_without_case_or_dash() {
        let code = recovery_code();
        assert_eq!(code.len(), 11, "{code}");
        assert_eq!(code.as_bytes()[5], b'-');
        assert_eq!(
            recovery_hash(&code),
            recovery_hash(&code.to_uppercase().replace('-', " "))
        );
        assert_ne!(recovery_hash(&code), recovery_hash(&recovery_code()));
    }
}
