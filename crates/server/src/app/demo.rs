//! Demo data for `docspot serve --demo`: one clinic with staff and patients, each with a
//! freshly generated password that is shown once.

use super::{
    accounts::{AccountKind, insert_account_in, new_account},
    clinics::insert_clinic_in,
    doctor_decisions::{Decision, decide_in},
    doctors::{ProfileInput, create_specialty_in, update_profile_in},
    schedule::{IntervalInput, set_weekly_hours_in},
    scope::{Caller, SystemActor},
    staff::{Grant, grant_in},
    visit_types::{VisitTypeInput, create_visit_type_in},
};
use crate::{
    auth::extract::RequestCtx,
    error::{AppError, AppResult},
    state::AppState,
};
use domain::{ClinicName, ClinicSlug, Currency, Role, TimeZoneName};
use serde_json::json;
use store::{audit, clinics::NewClinic};

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

/// The demo clinic's address part: patients book at `/c/sunrise`.
pub const SLUG: &str = "sunrise";

/// Seeds the demo clinic unless any clinic exists. Returns the logins it created.
pub async fn seed(state: &AppState) -> AppResult<Option<Vec<DemoLogin>>> {
    if !super::clinics::install_is_empty(state).await? {
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
    let mut checked = Vec::new();
    for (role, name, email, staff_role) in people {
        let pw = generated_password();
        checked.push((
            role,
            staff_role,
            pw.clone(),
            new_account(email, name, &pw).await?,
        ));
    }
    let now = state.now();
    let run = SystemActor::Seed.ctx("demo");
    let platform = audit::Actor {
        user: None,
        request_id: run.request_id.clone(),
        ip: run.ip.clone(),
    };
    let tx = state.store().write().await?;
    let clinic = insert_clinic_in(
        &tx,
        &platform,
        &NewClinic {
            name: ClinicName::parse("Sunrise Family Clinic")?,
            slug: ClinicSlug::parse(SLUG)?,
            time_zone: TimeZoneName::parse("Asia/Kolkata")?,
            currency: Currency::parse("INR")?,
            country: Some("IN".into()),
        },
        now,
    )
    .await?;
    let seed = Caller::system(clinic.clone(), SystemActor::Seed);
    let mut logins = Vec::new();
    let mut doctors_ = Vec::new();
    for (role, staff_role, password, account) in checked {
        let email = account.0.as_str().to_owned();
        let name = account.1.as_str().to_owned();
        let kind = match (role, staff_role) {
            ("platform admin", _) => AccountKind::PlatformAdmin,
            (_, Some(_)) => AccountKind::Staff,
            _ => AccountKind::Patient,
        };
        let user = insert_account_in(&tx, &platform, account, kind, now).await?;
        if let Some(r) = staff_role {
            let grant = Grant {
                clinic: clinic.id,
                user: user.id,
                name: &name,
                role: r,
            };
            let detail = json!({"role": r.as_str(), "via": "demo"});
            grant_in(&tx, &seed.actor(&run), grant, detail, now).await?;
        }
        if staff_role == Some(Role::Doctor) {
            doctors_.push((user.id, name));
        }
        logins.push(DemoLogin {
            role,
            email,
            password,
        });
    }
    bookable_doctors(&tx, state, &run, &seed, &doctors_, now).await?;
    store::commit(tx).await?;
    Ok(Some(logins))
}

/// Specialties, visit types, approved profiles and weekly hours, so the demo clinic's
/// public page offers slots straight away: set up through the same use cases an admin's
/// pages use, as the seeder.
async fn bookable_doctors<C: store::Conn>(
    c: &C,
    state: &AppState,
    run: &RequestCtx,
    seed: &Caller,
    doctors_: &[(domain::UserId, String)],
    now: jiff::Timestamp,
) -> AppResult<()> {
    let general = create_specialty_in(c, run, seed, "General Medicine", now).await?;
    let paeds = create_specialty_in(c, run, seed, "Paediatrics", now).await?;
    for (name, minutes, price) in [("Consultation", 15, 50_000), ("Follow-up", 10, 30_000)] {
        let vt = VisitTypeInput {
            name: name.into(),
            duration_min: minutes,
            buffer_before_min: 0,
            buffer_after_min: 5,
            price_minor: price,
            deposit_minor: 0,
            mode: None,
            doctor_id: None,
        };
        create_visit_type_in(c, run, seed, &vt, now).await?;
    }
    // (weekdays, daily windows, specialty, qualifications, registration)
    type Plan<'a> = (
        &'a [i32],
        &'a [(&'a str, &'a str)],
        domain::SpecialtyId,
        &'a str,
        &'a str,
    );
    let plans: [Plan; 2] = [
        (
            &[1, 2, 3, 4, 5, 6],
            &[("09:00", "13:00"), ("16:00", "19:00")],
            general.id,
            "MBBS, MD (Internal Medicine)",
            "KMC-48211",
        ),
        (
            &[1, 2, 3, 4, 5],
            &[("10:00", "14:00")],
            paeds.id,
            "MBBS, DCH",
            "KMC-51907",
        ),
    ];
    for ((user, name), (days, windows, specialty, quals, reg)) in doctors_.iter().zip(plans) {
        let id = store::doctors::of_user(c, seed.clinic_id(), *user)
            .await?
            .ok_or_else(|| AppError::Internal("demo doctor without a profile".into()))?
            .id;
        let profile = ProfileInput {
            name: name.clone(),
            qualifications: quals.into(),
            languages: vec!["English".into(), "Hindi".into(), "Malayalam".into()],
            registration_number: reg.into(),
            fee_minor: 50_000,
            bio: "Sees adults and families for everyday illness and long-term care.".into(),
            specialties: vec![specialty.as_uuid()],
        };
        update_profile_in(c, run, seed, id, &profile, now).await?;
        decide_in(c, state, run, seed, id, Decision::Approve, "", now).await?;
        let hours: Vec<IntervalInput> = days
            .iter()
            .flat_map(|d| {
                windows.iter().map(|(start, end)| IntervalInput {
                    weekday: *d,
                    start: (*start).into(),
                    end: (*end).into(),
                    visit_types: Vec::new(),
                    valid_from: None,
                    valid_to: None,
                })
            })
            .collect();
        set_weekly_hours_in(c, run, seed, id, &hours, now).await?;
    }
    Ok(())
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
