//! Demo data for `docspot serve --demo`: one clinic with staff and patients, each with a
//! freshly generated password that is shown once.

use crate::{auth::password, error::AppResult, state::AppState};
use domain::{
    ClinicName, ClinicSlug, Currency, Email, PersonName, Role, TimeZoneName, password::NewPassword,
};
use serde_json::json;
use store::{audit, clinics, memberships, users};

/// One seeded login.
pub struct DemoLogin {
    pub role: &'static str,
    pub email: String,
    pub password: String,
}

fn generated_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let chars: Vec<char> = rand::random::<[u8; 16]>()
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// Seeds the demo clinic unless any clinic exists. Returns the logins it created.
pub async fn seed(state: &AppState) -> AppResult<Option<Vec<DemoLogin>>> {
    if !clinics::list(state.store().conn(), 1, 0).await?.is_empty() {
        return Ok(None);
    }
    let people: [(&'static str, &str, &str, Option<Role>); 7] = [
        (
            "platform admin",
            "Platform Admin",
            "platform@demo.docspot.test",
            None,
        ),
        (
            "clinic admin",
            "Asha Menon",
            "admin@demo.docspot.test",
            Some(Role::Admin),
        ),
        (
            "doctor",
            "Dr. Ravi Iyer",
            "ravi.iyer@demo.docspot.test",
            Some(Role::Doctor),
        ),
        (
            "doctor",
            "Dr. Sara Thomas",
            "sara.thomas@demo.docspot.test",
            Some(Role::Doctor),
        ),
        (
            "receptionist",
            "Neha Kapoor",
            "desk@demo.docspot.test",
            Some(Role::Receptionist),
        ),
        ("patient", "Arjun Rao", "arjun@demo.docspot.test", None),
        ("patient", "Meera Pillai", "meera@demo.docspot.test", None),
    ];
    let mut hashed = Vec::new();
    for (role, name, email, staff_role) in people {
        let pw = generated_password();
        let hash = password::hash(&NewPassword::parse(&pw)?).await?;
        hashed.push((role, name, email, staff_role, pw, hash));
    }
    let now = state.now();
    let tx = state.store().write().await?;
    let clinic = clinics::insert(
        &tx,
        &clinics::NewClinic {
            name: ClinicName::parse("Sunrise Family Clinic")?,
            slug: ClinicSlug::parse("sunrise")?,
            time_zone: TimeZoneName::parse("Asia/Kolkata")?,
            currency: Currency::parse("INR")?,
        },
        now,
    )
    .await?;
    let actor = audit::Actor {
        user: None,
        request_id: "demo-seed".into(),
        ip: "local".into(),
    };
    audit::append(
        &tx,
        &actor,
        audit::Event::new("clinic.create", "clinic", clinic.id)
            .in_clinic(clinic.id)
            .detail(json!({"demo": true})),
        now,
    )
    .await?;
    let mut logins = Vec::new();
    for (role, name, email, staff_role, pw, hash) in hashed {
        let email_v = Email::parse(email)?;
        let user = users::insert(
            &tx,
            users::NewUser {
                email: &email_v,
                name: &PersonName::parse(name)?,
                password_hash: Some(hash),
                is_platform_admin: role == "platform admin",
                is_patient: role == "patient",
            },
            now,
        )
        .await?;
        if let Some(r) = staff_role {
            let mid = memberships::grant(&tx, clinic.id, user.id, r, now).await?;
            audit::append(
                &tx,
                &actor,
                audit::Event::new("membership.grant", "membership", mid)
                    .in_clinic(clinic.id)
                    .detail(json!({"role": r.as_str(), "demo": true})),
                now,
            )
            .await?;
        } else {
            audit::append(
                &tx,
                &actor,
                audit::Event::new("user.create", "user", user.id)
                    .detail(json!({"role": role, "demo": true})),
                now,
            )
            .await?;
        }
        logins.push(DemoLogin {
            role,
            email: email.to_owned(),
            password: pw,
        });
    }
    store::commit(tx).await?;
    Ok(Some(logins))
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_passwords_pass_the_policy_and_differ() {
        let a = super::generated_password();
        let b = super::generated_password();
        assert_eq!(a.len(), 19, "four groups of four with dashes: {a}");
        assert_ne!(a, b);
        assert!(domain::password::NewPassword::parse(&a).is_ok());
    }
}
