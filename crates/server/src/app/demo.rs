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
    let mut doctor_users = Vec::new();
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
        if staff_role == Some(Role::Doctor) {
            doctor_users.push((user.id, name));
        }
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
    bookable_doctors(&tx, clinic.id, &doctor_users, now).await?;
    store::commit(tx).await?;
    Ok(Some(logins))
}

/// Specialties, visit types, approved profiles and weekly hours, so the demo clinic's
/// public page offers slots straight away.
async fn bookable_doctors<C: store::Conn>(
    c: &C,
    clinic: domain::ClinicId,
    doctors_: &[(domain::UserId, &str)],
    now: jiff::Timestamp,
) -> AppResult<()> {
    use domain::{DoctorStatus, VisitMode, VisitTypeId};
    use store::{doctors, schedules};
    let general = doctors::insert_specialty(c, clinic, "General Medicine", now).await?;
    let paeds = doctors::insert_specialty(c, clinic, "Paediatrics", now).await?;
    for (name, minutes, price) in [("Consultation", 15, 50_000), ("Follow-up", 10, 30_000)] {
        schedules::insert_visit_type(
            c,
            &schedules::VisitType {
                id: VisitTypeId::new(),
                clinic_id: clinic,
                doctor_id: None,
                name: name.into(),
                duration_min: minutes,
                buffer_before_min: 0,
                buffer_after_min: 5,
                price_minor: price,
                mode: VisitMode::InPerson,
                is_active: true,
            },
            now,
        )
        .await?;
    }
    // (weekdays, daily windows in minutes, specialty, qualifications, registration)
    type Plan<'a> = (
        &'a [i32],
        &'a [(i32, i32)],
        domain::SpecialtyId,
        &'a str,
        &'a str,
    );
    let plans: [Plan; 2] = [
        (
            &[1, 2, 3, 4, 5, 6],
            &[(9 * 60, 13 * 60), (16 * 60, 19 * 60)],
            general.id,
            "MBBS, MD (Internal Medicine)",
            "KMC-48211",
        ),
        (
            &[1, 2, 3, 4, 5],
            &[(10 * 60, 14 * 60)],
            paeds.id,
            "MBBS, DCH",
            "KMC-51907",
        ),
    ];
    for ((user, name), (days, windows, specialty, quals, reg)) in doctors_.iter().zip(plans) {
        let profile = doctors::Profile {
            name: (*name).to_owned(),
            qualifications: quals.into(),
            languages: vec!["English".into(), "Hindi".into(), "Malayalam".into()],
            registration_number: reg.into(),
            fee_minor: 50_000,
            bio: "Sees adults and families for everyday illness and long-term care.".into(),
            specialties: vec![specialty],
        };
        let id = doctors::insert(c, clinic, *user, &profile, now).await?;
        doctors::set_status(
            c,
            clinic,
            id,
            DoctorStatus::Pending,
            DoctorStatus::Approved,
            None,
            now,
        )
        .await?;
        let hours: Vec<schedules::Hours> = days
            .iter()
            .flat_map(|d| {
                windows.iter().map(|(s, e)| schedules::Hours {
                    weekday: *d,
                    start_min: *s,
                    end_min: *e,
                    visit_types: Vec::new(),
                    valid_from: None,
                    valid_to: None,
                })
            })
            .collect();
        schedules::replace_hours(c, clinic, id, &hours).await?;
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
