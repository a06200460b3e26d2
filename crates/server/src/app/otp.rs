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
use store::{audit, users};

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
    let id = uuid::Uuid::now_v7();
    let code = new_code();
    let text = format!(
        "Your DocSpot sign-in code is {code}. It works for 5 minutes. Nobody from the clinic will ask you for it."
    );
    let channel = match &to {
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
            };
            store::jobs::enqueue_all(&tx, &[sms.new_job(None, now)?], now).await?;
            "sms"
        }
        Destination::Email(e) => {
            let email = mail::Email::text(
                e.as_str(),
                "Your DocSpot sign-in code".into(),
                format!("Hello {},\n\n{text}\n", user.name),
            );
            mail::enqueue(&tx, None, &email, now).await?;
            "email"
        }
    };
    let expires = now.checked_add(CODE_TTL).unwrap_or(now);
    store::otp::insert(&tx, id, user.id, channel, &hash(id, &code), now, expires).await?;
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
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(wrong());
    }
    let now = state.now();
    let tx = state.store().write().await?;
    let Some(user) = to.account(&tx).await? else {
        return Err(wrong());
    };
    let Some(live) = store::otp::live(&tx, user.id, now).await? else {
        return Err(wrong());
    };
    if live.attempts >= MAX_TRIES {
        return Err(wrong());
    }
    if !crate::gateway::same(&hash(live.id, code), &live.code_hash) {
        store::otp::wrong_try(&tx, live.id).await?;
        store::commit(tx).await?;
        return Err(wrong());
    }
    if !store::otp::use_code(&tx, live.id, now).await? {
        return Err(wrong());
    }
    store::commit(tx).await?;
    let tokens = start_session(state, ctx, &user, "session.login_code").await?;
    Ok((user, tokens))
}
