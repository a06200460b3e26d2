//! Upgrading a database that already holds data: records made under older migrations keep
//! working after the newer ones run. Runs on SQLite always and on PostgreSQL when
//! DOCSPOT_TEST_DATABASE_URL is set.

use docspot_store as store;
use domain::{
    ClinicName, ClinicSlug, Currency, Email, PersonName, TimeZoneName, patient::SearchTerms,
};
use sea_orm::{ConnectionTrait, Statement, Value};
use store::{clinics, each_db, patients, testing::TestDb, users};

fn t(ms: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(ms).unwrap()
}

/// Migrations up to m0007 (documents): the word index without each row's words.
const BEFORE_SEARCH_WORDS: u32 = 7;

each_db!(
    records_indexed_before_m0008_are_found_by_every_kind_of_search_after_it,
    steps = Some(BEFORE_SEARCH_WORDS)
);
async fn records_indexed_before_m0008_are_found_by_every_kind_of_search_after_it(db: TestDb) {
    let c = db.store.conn();
    let clinic = clinics::insert(
        c,
        &clinics::NewClinic {
            name: ClinicName::parse("Old Clinic").unwrap(),
            slug: ClinicSlug::parse("old-clinic").unwrap(),
            time_zone: TimeZoneName::parse("Asia/Kolkata").unwrap(),
            currency: Currency::parse("INR").unwrap(),
            country: None,
        },
        t(1_000),
    )
    .await
    .unwrap();
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
