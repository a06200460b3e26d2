//! Signing in with a one-time code, for patients: six digits sent by text (to the account's
//! mobile number) or by e-mail, good for five minutes, once, and for five tries. Only a hash
//! of each code is kept and the comparison takes the same time whatever the digits. Asking
//! for a code answers the same whether or not an account has that number or address, and
//! both asking and trying are rate-limited per destination and per IP. Accounts keep their
//! passwords; staff sign in with theirs.

use super::{
    limit, mail,
    phones::region,
    sessions::{Tokens, start_session},
};
use crate::{
    auth::extract::RequestCtx,
    error::{AppError, AppResult},
    jobs::{Job, sms::SendSms},
    state::AppState,
};
use domain::{Email, phone::MobileNumber};
use jiff::SignedDuration;
use store::{audit, otp::Purpose, users};

/// How long a code works.
pub const CODE_TTL: SignedDuration = SignedDuration::from_mins(5);
/// Wrong tries a code survives.
pub const MAX_TRIES: i32 = 5;

/// Where a code goes: an account's mobile number or e-mail address.
enum Destination {
    Phone(MobileNumber),
    Email(Email),
}

impl Destination {
    fn parse(state: &AppState, raw: &str) -> AppResult<Destination> {
        let raw = raw.trim();
        if raw.contains('@') {
            Email::parse(raw).map(Destination::Email).map_err(|_| {
                AppError::field("destination", "Enter your mobile number or e-mail address.")
            })
        } else {
            MobileNumber::parse(raw, region(state, None))
                .map(Destination::Phone)
                .map_err(|_| {
                    AppError::field("destination", "Enter your mobile number or e-mail address.")
                })
        }
    }

    fn key(&self) -> String {
        match self {
            Destination::Phone(p) => p.as_str().to_owned(),
            Destination::Email(e) => e.as_str().to_owned(),
        }
    }

    /// The patient account it names, if exactly one does.
    async fn account<C: store::Conn>(&self, c: &C) -> AppResult<Option<users::User>> {
        Ok(match self {
            Destination::Phone(p) => {
                let mut found = users::patients_with_phone(c, p.as_str()).await?;
                // A number shared by several accounts names none of them.
                (found.len() == 1).then(|| found.remove(0))
            }
            Destination::Email(e) => users::find_by_email(c, e)
                .await?
                .filter(|u| u.is_patient && u.is_active),
        })
    }
}

fn hash(id: uuid::Uuid, code: &str) -> String {
    store::token_hash(&format!("{id}:{code}"))
}

fn new_code() -> String {
    use rand::Rng;
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

/// Sends a sign-in code to `destination` when it names a patient account. Answers the
/// same either way.
pub async fn request_code(state: &AppState, ctx: &RequestCtx, destination: &str) -> AppResult<()> {
    let to = Destination::parse(state, destination)?;
    limit(state, "otp", &ctx.ip, Some(&to.key()))?;
    let now = state.now();
    let tx = state.store().write().await?;
    let Some(user) = to.account(&tx).await? else {
        return Ok(());
    };
    let channel = send_code(state, &tx, &user, &to, Purpose::SignIn, now).await?;
    audit::append(
        &tx,
        &ctx.actor(Some(user.id)),
        audit::Event::new("otp.request", "user", user.id)
            .detail(serde_json::json!({"channel": channel})),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(())
}

/// Makes a code for `user` and sends it to `to` (a text, or an e-mail), in `tx`; the
/// channel it went by.
async fn send_code<C: store::Conn>(
    state: &AppState,
    tx: &C,
    user: &users::User,
    to: &Destination,
    purpose: Purpose,
    now: jiff::Timestamp,
) -> AppResult<&'static str> {
    let id = uuid::Uuid::now_v7();
    let code = new_code();
    let text = format!(
        "Your DocSpot {} code is {code}. It works for 5 minutes. Nobody from the clinic will ask you for it.",
        match purpose {
            Purpose::SignIn => "sign-in",
            Purpose::Phone(_) => "confirmation",
        }
    );
    let channel = match to {
        Destination::Phone(p) => {
            if state.sms().is_none() {
                return Err(AppError::Conflict(
                    "Codes cannot be texted here; ask for one by e-mail.".into(),
                ));
            }
            let sms = SendSms {
                message: id,
                kind: "otp".into(),
                to: p.as_str().to_owned(),
                body: text,
                redact: true,
                ..SendSms::default()
            };
            store::jobs::enqueue_all(tx, &[sms.new_job(None, now)?], now).await?;
            "sms"
        }
        Destination::Email(e) => {
            let email = mail::Email::text(
                e.as_str(),
                "Your DocSpot code".into(),
                format!("Hello {},\n\n{text}\n", user.name),
            );
            mail::enqueue(tx, None, &email, now).await?;
            "email"
        }
    };
    let expires = now.checked_add(CODE_TTL).unwrap_or(now);
    let new = store::otp::NewCode {
        id,
        user: user.id,
        channel,
        purpose: &purpose,
        code_hash: &hash(id, &code),
        expires,
    };
    store::otp::insert(tx, &new, now).await?;
    Ok(channel)
}

/// Uses up `user`'s live code for `purpose` if `code` is it; `None` (a wrong try counted,
/// in its own transaction) otherwise.
async fn redeem(
    state: &AppState,
    user: &users::User,
    purpose: &str,
    code: &str,
) -> AppResult<Option<store::otp::Code>> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let now = state.now();
    let tx = state.store().write().await?;
    let Some(live) = store::otp::live(&tx, user.id, purpose, now).await? else {
        return Ok(None);
    };
    if live.attempts >= MAX_TRIES {
        return Ok(None);
    }
    if !crate::gateway::same(&hash(live.id, code), &live.code_hash) {
        store::otp::wrong_try(&tx, live.id).await?;
        store::commit(tx).await?;
        return Ok(None);
    }
    if !store::otp::use_code(&tx, live.id, now).await? {
        return Ok(None);
    }
    store::commit(tx).await?;
    Ok(Some(live))
}

/// Sends a code to `raw`, the new mobile number `me` wants; the number replaces theirs
/// once they type the code back ([`confirm_phone`]).
pub async fn request_phone_change(
    state: &AppState,
    ctx: &RequestCtx,
    me: &crate::auth::CurrentUser,
    raw: &str,
) -> AppResult<MobileNumber> {
    let phone = MobileNumber::parse(raw, region(state, None))?;
    limit(state, "otp", &ctx.ip, Some(phone.as_str()))?;
    let now = state.now();
    let tx = state.store().write().await?;
    let to = Destination::Phone(phone.clone());
    send_code(
        state,
        &tx,
        me.user(),
        &to,
        Purpose::Phone(phone.as_str().to_owned()),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(phone)
}

/// Changes `me`'s mobile number to the one the code was texted to (audited).
pub async fn confirm_phone(
    state: &AppState,
    ctx: &RequestCtx,
    me: &crate::auth::CurrentUser,
    code: &str,
) -> AppResult<String> {
    limit(state, "otp_verify", &ctx.ip, Some(me.user().email.as_str()))?;
    let wrong = || {
        AppError::field(
            "code",
            "That code is wrong or has expired. Ask for a new one.",
        )
    };
    let live = redeem(state, me.user(), "phone", code)
        .await?
        .ok_or_else(wrong)?;
    let phone = live
        .target
        .as_deref()
        .and_then(MobileNumber::from_stored)
        .ok_or_else(wrong)?;
    let now = state.now();
    let tx = state.store().write().await?;
    users::set_phone(&tx, me.id(), Some(&phone)).await?;
    audit::append(
        &tx,
        &ctx.actor(Some(me.id())),
        audit::Event::new("user.phone_change", "user", me.id()),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(phone.as_str().to_owned())
}

/// Signs in with the code sent to `destination`: a new session, and the code used up.
pub async fn sign_in(
    state: &AppState,
    ctx: &RequestCtx,
    destination: &str,
    code: &str,
) -> AppResult<(users::User, Tokens)> {
    let wrong = || {
        AppError::field(
            "code",
            "That code is wrong or has expired. Ask for a new one.",
        )
    };
    let to = Destination::parse(state, destination)?;
    limit(state, "otp_verify", &ctx.ip, Some(&to.key()))?;
    let Some(user) = to.account(state.store().conn()).await? else {
        return Err(wrong());
    };
    redeem(state, &user, "sign_in", code)
        .await?
        .ok_or_else(wrong)?;
    let tokens = start_session(state, ctx, &user, "session.login_code").await?;
    Ok((user, tokens))
}
