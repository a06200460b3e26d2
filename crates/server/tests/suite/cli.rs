//! The command line contract: subcommands, flags, environment variables, PostgreSQL switch.

use crate::helpers::docspot;

#[test]
fn every_subcommand_has_help_naming_its_flags_and_variables() {
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["--help"],
            &[
                "serve",
                "migrate",
                "audit",
                "user",
                "DOCSPOT_DATA_DIR",
                "DATABASE_URL",
            ],
        ),
        (
            &["serve", "--help"],
            &[
                "--addr",
                "DOCSPOT_ADDR",
                "127.0.0.1:8080",
                "--data-dir",
                "--demo",
                "DOCSPOT_SMTP_URL",
                "DOCSPOT_AUTH_RATE_PER_IP",
            ],
        ),
        (&["migrate", "--help"], &["--data-dir"]),
        (&["audit", "verify", "--help"], &["hash chain"]),
        (
            &["user", "create-admin", "--help"],
            &["--email", "standard input"],
        ),
        (
            &["user", "reset-totp", "--help"],
            &["--email", "recovery codes"],
        ),
    ];
    for (args, wanted) in cases {
        let out = docspot(args, &[], None);
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        for w in *wanted {
            assert!(
                text.contains(w),
                "`docspot {}` should mention {w}:\n{text}",
                args.join(" ")
            );
        }
    }
}

#[test]
fn help_never_prints_secret_values_from_the_environment() {
    let out = docspot(
        &["serve", "--help"],
        &[
            ("DATABASE_URL", "postgres://u:hunter2-secret@db/x"),
            ("DOCSPOT_SMTP_URL", "smtp://u:smtp-secret@mail:587"),
        ],
        None,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("hunter2-secret") && !text.contains("smtp-secret"),
        "{text}"
    );
}

#[tokio::test]
async fn database_url_switches_the_binary_to_postgresql() {
    let Some(db) = store::testing::TestDb::postgres().await else {
        eprintln!("SKIPPED: DOCSPOT_TEST_DATABASE_URL not set");
        return;
    };
    let dir = std::env::temp_dir().join(format!("docspot-pgcli-{}", uuid::Uuid::now_v7().simple()));
    let data_dir = dir.display().to_string();
    let out = docspot(
        &["user", "create-admin", "--email", "pg-root@cli.test"],
        &[("DATABASE_URL", &db.url), ("DOCSPOT_DATA_DIR", &data_dir)],
        Some(
            "postgres admin passphrase
",
        ),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let email = domain::Email::parse("pg-root@cli.test").unwrap();
    let user = store::users::find_by_email(db.store.conn(), &email)
        .await
        .unwrap();
    assert!(
        user.is_some_and(|u| u.is_platform_admin),
        "the admin landed in PostgreSQL"
    );
    assert!(
        !dir.join("docspot.db").exists(),
        "no SQLite file was created"
    );
}

#[test]
fn user_reset_totp_names_an_unknown_account_and_leaves_one_without_it_alone() {
    let dir = std::env::temp_dir().join(format!("docspot-cli-{}", uuid::Uuid::now_v7().simple()));
    let env = [("DOCSPOT_DATA_DIR", dir.display().to_string())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = docspot(&["migrate"], &env, None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = docspot(
        &["user", "reset-totp", "--email", "nobody@cli.test"],
        &env,
        None,
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("No account uses nobody@cli.test"), "{err}");
    let out = docspot(
        &["user", "create-admin", "--email", "root@cli.test"],
        &env,
        Some("a long enough admin password\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = docspot(
        &["user", "reset-totp", "--email", "root@cli.test"],
        &env,
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("does not use two-factor sign-in"), "{said}");
}
