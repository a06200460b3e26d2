//! Fixtures built straight in the store: no HTTP, no mail, no jobs, no audit trail. For
//! tests whose subject is not how a clinic, its doctors or its patients came to be. Every
//! account gets the password `PW`, so `app.login(email)` signs it in. Tests about the
//! endpoints that create these build them through the API instead (`world::world`).

use crate::{
    helpers::{PW, TestApp},
    world::World,
};
use docspot_server::auth::password;
use domain::{
    ClinicId, ClinicName, ClinicSlug, Currency, DoctorId, DoctorStatus, Email, PatientId,
    PersonName, Role, TimeZoneName, UserId, VisitMode, VisitTypeId, password::NewPassword,
};
use store::{clinics, doctors, memberships, patients, schedules, users};
use tokio::sync::OnceCell;

/// The Argon2 hash of `PW`, made once per run (hashing is deliberately slow).
async fn pw_hash() -> String {
    static HASH: OnceCell<String> = OnceCell::const_new();
    HASH.get_or_init(|| async {
        password::hash(&NewPassword::parse(PW).unwrap())
            .await
            .unwrap()
    })
    .await
    .clone()
}

/// A clinic `slug`, named "Clinic {slug}", in the IANA zone `zone`, that charges in
/// `currency` (ISO 4217).
pub async fn clinic(app: &TestApp, slug: &str, zone: &str, currency: &str) -> ClinicId {
    let new = clinics::NewClinic {
        name: ClinicName::parse(&format!("Clinic {slug}")).unwrap(),
        slug: ClinicSlug::parse(slug).unwrap(),
        time_zone: TimeZoneName::parse(zone).unwrap(),
        currency: Currency::parse(currency).unwrap(),
        country: None,
    };
    clinics::insert(app.state.store().conn(), &new, app.state.now())
        .await
        .unwrap_or_else(|e| panic!("{}: clinic {slug}: {e}", app.backend))
        .id
}

async fn account(app: &TestApp, email: &str, name: &str, is_patient: bool) -> UserId {
    let new = users::NewUser {
        email: &Email::parse(email).unwrap(),
        name: &PersonName::parse(name).unwrap(),
        password_hash: Some(pw_hash().await),
        is_platform_admin: false,
        is_patient,
    };
    users::insert(app.state.store().conn(), new, app.state.now())
        .await
        .unwrap_or_else(|e| panic!("{}: user {email}: {e}", app.backend))
        .id
}

/// A self-registered patient's account (address not yet confirmed), as sign-up makes it.
pub async fn patient(app: &TestApp, email: &str, name: &str) -> UserId {
    account(app, email, name, true).await
}

/// A clinic's record of a patient (with the next MRN), linked to `user` when given.
pub async fn patient_record(
    app: &TestApp,
    clinic: ClinicId,
    user: Option<UserId>,
    name: &str,
    phone: &str,
) -> PatientId {
    let details = patients::PatientDetails {
        name: name.to_owned(),
        phone: Some(phone.to_owned()),
        ..Default::default()
    };
    patients::insert(
        app.state.store().conn(),
        clinic,
        user,
        &details,
        app.state.now(),
    )
    .await
    .unwrap_or_else(|e| panic!("{}: patient {name}: {e}", app.backend))
    .id
}

/// A member of `clinic`'s staff with `role`, as an accepted invitation makes them.
pub async fn staff(app: &TestApp, clinic: ClinicId, email: &str, name: &str, role: Role) -> UserId {
    let user = account(app, email, name, false).await;
    memberships::grant(
        app.state.store().conn(),
        clinic,
        user,
        role,
        app.state.now(),
    )
    .await
    .unwrap();
    user
}

/// An approved doctor of `clinic` who works every day 09:00–13:00 and 14:00–17:00 (local),
/// offering every visit type of the clinic.
pub async fn doctor(app: &TestApp, clinic: ClinicId, email: &str, name: &str) -> DoctorId {
    let c = app.state.store().conn();
    let now = app.state.now();
    let user = staff(app, clinic, email, name, Role::Doctor).await;
    let profile = doctors::Profile::named(name);
    let id = doctors::insert(c, clinic, user, &profile, now)
        .await
        .unwrap();
    let approved = doctors::set_status(
        c,
        clinic,
        id,
        DoctorStatus::Pending,
        DoctorStatus::Approved,
        None,
        now,
    )
    .await
    .unwrap();
    assert!(approved, "{}: approve {email}", app.backend);
    let hours: Vec<schedules::Hours> = (1..=7)
        .flat_map(|weekday| {
            [(9, 13), (14, 17)].map(|(from, to)| schedules::Hours {
                weekday,
                start_min: from * 60,
                end_min: to * 60,
                visit_types: Vec::new(),
                valid_from: None,
                valid_to: None,
            })
        })
        .collect();
    schedules::replace_hours(c, clinic, id, &hours)
        .await
        .unwrap();
    id
}

/// A clinic-wide in-person visit type of `duration_min` minutes with `buffer_after_min`
/// minutes after it, priced at `price_minor` minor units.
pub async fn visit_type(
    app: &TestApp,
    clinic: ClinicId,
    name: &str,
    duration_min: i32,
    buffer_after_min: i32,
    price_minor: i64,
) -> VisitTypeId {
    let vt = schedules::VisitType {
        id: VisitTypeId::new(),
        clinic_id: clinic,
        doctor_id: None,
        name: name.to_owned(),
        duration_min,
        buffer_before_min: 0,
        buffer_after_min,
        price_minor,
        deposit_minor: 0,
        mode: VisitMode::InPerson,
        is_active: true,
    };
    schedules::insert_visit_type(app.state.store().conn(), &vt, app.state.now())
        .await
        .unwrap();
    vt.id
}

/// The same clinic as [`world::world`](crate::world::world), with the same people and
/// addresses (`admin@{slug}.test`, `doc@{slug}.test`, `pat@{slug}.test`), built in the
/// store; only the sign-ins go through the API.
pub async fn world(app: &TestApp, slug: &str) -> World {
    world_in(app, slug, "Asia/Kolkata").await
}

/// [`world`] with the clinic in the IANA zone `zone`.
pub async fn world_in(app: &TestApp, slug: &str, zone: &str) -> World {
    let clinic = clinic(app, slug, zone, "INR").await;
    let admin = format!("admin@{slug}.test");
    staff(app, clinic, &admin, "Clinic Admin", Role::Admin).await;
    let doc = format!("doc@{slug}.test");
    let doctor = doctor(app, clinic, &doc, "Dr Asha Rao").await;
    let visit_type = visit_type(app, clinic, "Consultation", 15, 5, 50_000).await;
    let pat = format!("pat@{slug}.test");
    patient(app, &pat, "Ravi Kumar").await;
    World {
        clinic: clinic.to_string(),
        admin: app.login(&admin).await.0,
        doctor: doctor.to_string(),
        doctor_token: app.login(&doc).await.0,
        visit_type: visit_type.to_string(),
        patient: app.login(&pat).await.0,
    }
}

/// A receptionist of `w`'s clinic (`desk@{slug}.test`), signed in: their access token.
pub async fn desk(app: &TestApp, w: &World, slug: &str) -> String {
    let email = format!("desk@{slug}.test");
    let clinic = w.clinic.parse().unwrap();
    staff(app, clinic, &email, "Anil Desk", Role::Receptionist).await;
    app.login(&email).await.0
}
