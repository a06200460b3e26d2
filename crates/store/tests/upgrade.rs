//! Upgrading a database that already holds data: records made under older migrations keep
//! working after the newer ones run. Runs on SQLite always and on PostgreSQL when
//! DOCSPOT_TEST_DATABASE_URL is set.

use docspot_store as store;
use domain::{
    ClinicName, ClinicSlug, Currency, Email, PersonName, TimeZoneName, patient::SearchTerms,
};
use sea_orm::{ConnectionTrait, Statement, Value};
use store::{clinics, doctors, each_db, patients, testing::TestDb, users, visit_types};

fn t(ms: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(ms).unwrap()
}

/// A clinic, in Asia/Kolkata.
async fn clinic(c: &sea_orm::DatabaseConnection, name: &str, slug: &str) -> clinics::Clinic {
    clinics::insert(
        c,
        &clinics::NewClinic {
            name: ClinicName::parse(name).unwrap(),
            slug: ClinicSlug::parse(slug).unwrap(),
            time_zone: TimeZoneName::parse("Asia/Kolkata").unwrap(),
            currency: Currency::parse("INR").unwrap(),
            country: None,
        },
        t(1_000),
    )
    .await
    .unwrap()
}

/// Migrations up to m0007 (documents): the word index without each row's words.
const BEFORE_SEARCH_WORDS: u32 = 7;

each_db!(
    records_indexed_before_m0008_are_found_by_every_kind_of_search_after_it,
    steps = Some(BEFORE_SEARCH_WORDS)
);
async fn records_indexed_before_m0008_are_found_by_every_kind_of_search_after_it(db: TestDb) {
    let c = db.store.conn();
    let clinic = clinic(c, "Old Clinic", "old-clinic").await;
    // A record and its index rows as m0004's code wrote them.
    let id = uuid::Uuid::now_v7();
    let exec = |sql: &str, values: Vec<Value>| {
        c.execute_raw(Statement::from_sql_and_values(
            c.get_database_backend(),
            sql,
            values,
        ))
    };
    exec(
        "INSERT INTO patients (id, clinic_id, user_id, mrn, created_at, updated_at, version, \
         name, name_key, phone, email, sex, birth_date, birth_estimated, address, \
         emergency_name, emergency_phone) VALUES ($1, $2, NULL, 'P000001', 1000, 1000, 1, \
         'Kavya Nair', 'kavya nair', '+919845011111', 'kavya@old.test', 'female', \
         '1990-04-01', 0, NULL, NULL, NULL)",
        vec![id.into(), clinic.id.as_uuid().into()],
    )
    .await
    .unwrap();
    for word in ["kavya", "nair", "#919845011111", "#9845011111"] {
        exec(
            "INSERT INTO patient_words (clinic_id, word, patient_id) VALUES ($1, $2, $3)",
            vec![clinic.id.as_uuid().into(), word.into(), id.into()],
        )
        .await
        .unwrap();
    }
    // An account made before e-mail confirmation existed.
    let user = users::insert(
        c,
        users::NewUser {
            email: &Email::parse("kavya@old.test").unwrap(),
            name: &PersonName::parse("Kavya Nair").unwrap(),
            password_hash: None,
            is_platform_admin: false,
            is_patient: true,
        },
        t(2_000),
    )
    .await
    .unwrap();

    db.store.migrate().await.unwrap();
    assert!(db.store.migrations_current().await.unwrap());
    for q in [
        "kav nai",
        "nai kav",
        "nair",
        "98450",
        "+91 98450 11111",
        "P000001",
    ] {
        let found = patients::search(c, clinic.id, &SearchTerms::parse(q).unwrap(), 20)
            .await
            .unwrap();
        assert_eq!(
            found.iter().map(|p| p.mrn.as_str()).collect::<Vec<_>>(),
            ["P000001"],
            "{}: {q}",
            db.backend
        );
    }
    for q in ["kav zed", "nair 12345", "ny"] {
        let found = patients::search(c, clinic.id, &SearchTerms::parse(q).unwrap(), 20)
            .await
            .unwrap();
        assert!(found.is_empty(), "{}: {q}: {found:?}", db.backend);
    }
    let found = users::find(c, user.id).await.unwrap().unwrap();
    assert!(found.email_verified_at.is_none(), "{}", db.backend);
    assert!(
        users::set_email_verified(c, user.id, "kavya@old.test", t(3_000))
            .await
            .unwrap()
    );
    let found = users::find(c, user.id).await.unwrap().unwrap();
    assert_eq!(found.email_verified_at, Some(t(3_000)), "{}", db.backend);
}

/// Migrations up to m0028: before the database held the patient's no-overlap rule.
const BEFORE_PATIENT_RULE: u32 = 28;

each_db!(
    visits_that_overlap_before_m0029_stay_as_overrides_and_the_rule_holds_after_it,
    steps = Some(BEFORE_PATIENT_RULE)
);
async fn visits_that_overlap_before_m0029_stay_as_overrides_and_the_rule_holds_after_it(
    db: TestDb,
) {
    let c = db.store.conn();
    let clinic = clinic(c, "Busy Clinic", "busy-clinic").await;
    let mut doctors = Vec::new();
    for (email, name) in [
        ("a@busy.test", "Dr Anil Rao"),
        ("b@busy.test", "Dr Bina Das"),
    ] {
        let user = users::insert(
            c,
            users::NewUser {
                email: &Email::parse(email).unwrap(),
                name: &PersonName::parse(name).unwrap(),
                password_hash: None,
                is_platform_admin: false,
                is_patient: false,
            },
            t(1_000),
        )
        .await
        .unwrap();
        let profile = doctors::Profile::named(name);
        doctors.push(
            doctors::insert(c, clinic.id, user.id, &profile, t(1_000))
                .await
                .unwrap(),
        );
    }
    let vt = visit_types::VisitType {
        id: domain::VisitTypeId::new(),
        clinic_id: clinic.id,
        doctor_id: None,
        name: "Consultation".into(),
        duration_min: 15,
        buffer_before_min: 0,
        buffer_after_min: 0,
        price_minor: 0,
        deposit_minor: 0,
        mode: domain::VisitMode::InPerson,
        is_active: true,
    };
    visit_types::insert_visit_type(c, &vt, t(1_000))
        .await
        .unwrap();
    let patient = patients::insert(
        c,
        clinic.id,
        None,
        &patients::PatientDetails {
            name: "Kavya Nair".into(),
            ..Default::default()
        },
        t(1_000),
    )
    .await
    .unwrap();
    // As m0002's code wrote them: two visits of the patient at once with two doctors (a
    // staff override then), one alone, and a cancelled one over that.
    const BASE: i64 = 1_800_000_000_000;
    const MIN: i64 = 60_000;
    let visits = [
        ("AAA-AAA", 0, 0, "booked"),
        ("BBB-BBB", 1, 5, "booked"),
        ("CCC-CCC", 0, 60, "booked"),
        ("DDD-DDD", 1, 65, "cancelled"),
    ];
    for (ref_code, doctor, at, status) in visits {
        let start = BASE + at * MIN;
        c.execute_raw(Statement::from_sql_and_values(
            c.get_database_backend(),
            "INSERT INTO appointments (id, clinic_id, doctor_id, patient_id, visit_type_id, start_at, \
             end_at, block_start, block_end, local_date, status, source, reason, ref_code, created_at, \
             updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $6, $7, '2027-01-15', $8, \
             'desk', '', $9, 1000, 1000, 1)",
            vec![
                uuid::Uuid::now_v7().into(),
                clinic.id.as_uuid().into(),
                doctors[doctor].as_uuid().into(),
                patient.id.as_uuid().into(),
                vt.id.as_uuid().into(),
                start.into(),
                (start + 15 * MIN).into(),
                status.into(),
                ref_code.into(),
            ],
        ))
        .await
        .unwrap();
    }

    db.store.migrate().await.unwrap();
    assert!(db.store.migrations_current().await.unwrap());
    let flags = c
        .query_all_raw(Statement::from_string(
            c.get_database_backend(),
            "SELECT ref_code, patient_overlap_ok FROM appointments ORDER BY ref_code".to_owned(),
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.try_get::<String>("", "ref_code").unwrap(),
                r.try_get::<bool>("", "patient_overlap_ok").unwrap(),
            )
        })
        .collect::<Vec<_>>();
    let want = [
        ("AAA-AAA", true),
        ("BBB-BBB", true),
        ("CCC-CCC", false),
        ("DDD-DDD", false),
    ]
    .map(|(r, ok)| (r.to_owned(), ok));
    assert_eq!(flags, want, "{}", db.backend);
    // The lone visit is held to the rule now: the cancelled one cannot come back over it.
    let e = c
        .execute_unprepared("UPDATE appointments SET status = 'booked' WHERE ref_code = 'DDD-DDD'")
        .await
        .expect_err("a second visit at once");
    assert!(
        e.to_string().contains(store::PATIENT_OVERLAP),
        "{}: {e}",
        db.backend
    );
}
