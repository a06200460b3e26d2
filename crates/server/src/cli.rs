//! The command line: `serve`, `migrate`, `audit verify`, `user create-admin`.

use crate::{
    app::{accounts, demo},
    config::{AuditCommand, Cli, Command, DbArgs, ServeArgs, UserCommand},
    error::AppError,
    startup::{self, App, AppOptions},
    state::{AppState, Settings},
};
use domain::SystemClock;
use std::{io::IsTerminal, sync::Arc};
use store::{Store, audit::Verdict};

/// Runs a parsed command. Errors are for the user's eyes.
pub async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Serve(args) => serve(cli.db, *args).await,
        Command::Migrate => {
            let store = open(&cli.db).await?;
            store
                .migrate()
                .await
                .map_err(|e| format!("migration failed: {e}"))?;
            say("Migrations are up to date.");
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => audit_verify(&cli.db).await,
        Command::User {
            command: UserCommand::CreateAdmin { email, name },
        } => create_admin(&cli.db, &email, &name).await,
        Command::User {
            command: UserCommand::ResetTotp { email },
        } => reset_totp(&cli.db, &email).await,
    }
}

/// Tells the operator something on stdout. A closed stdout (a supervisor that stopped
/// reading) must not stop the server, so a failed write is dropped.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// Creates the data folder, unless the data lives in PostgreSQL.
fn ensure_data_dir(db: &DbArgs) -> Result<(), String> {
    if db.database_url.is_none() {
        std::fs::create_dir_all(&db.data_dir)
            .map_err(|e| format!("cannot create {}: {e}", db.data_dir.display()))?;
    }
    Ok(())
}

async fn open(db: &DbArgs) -> Result<Store, String> {
    ensure_data_dir(db)?;
    startup::connect(&db.url()).await
}

fn init_logs(format: &str) {
    use tracing_subscriber::{EnvFilter, fmt};
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if format == "pretty" {
        builder.try_init()
    } else {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .flatten_event(true)
            .try_init()
    };
}

async fn serve(db: DbArgs, args: ServeArgs) -> Result<(), String> {
    init_logs(&args.log_format);
    ensure_data_dir(&db)?;
    let app = App::build(AppOptions {
        db_url: db.url(),
        data_dir: db.data_dir.clone(),
        serve: args.clone(),
        clock: Arc::new(SystemClock),
    })
    .await?;
    let state = app.state();
    if args.demo {
        match demo::seed(&state)
            .await
            .map_err(|e| format!("demo seeding failed: {e}"))?
        {
            Some(logins) => print_logins(&logins),
            None => say(
                "Demo data is already present; its passwords were shown when it was created. Use \"Forgot password\" (e-mails land in DATA_DIR/outbox) to set new ones.",
            ),
        }
    }
    if args.demo {
        say(&format!(
            "Patients find a doctor and book at {}{}",
            state.settings().public_url,
            crate::routes::clinic_page(demo::SLUG)
        ));
    }
    say(&format!(
        "DocSpot is running at {}/",
        state.settings().public_url
    ));
    let store = state.store();
    if !store::users::any_platform_admin(store.conn())
        .await
        .unwrap_or(true)
    {
        say(
            "No platform admin yet: create one with `docspot user create-admin --email you@example.com`.",
        );
    }
    app.run_until(stop_signal())
        .await
        .map_err(|e| format!("server error: {e}"))
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM (service managers, containers).
async fn stop_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

fn print_logins(logins: &[demo::DemoLogin]) {
    let w_role = logins
        .iter()
        .map(|l| l.role.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let w_email = logins
        .iter()
        .map(|l| l.email.len())
        .max()
        .unwrap_or(5)
        .max(5);
    say(
        "Demo clinic \"Sunrise Family Clinic\" (Asia/Kolkata, INR) created. These passwords are shown only now:",
    );
    say(&format!(
        "  {:<w_role$}  {:<w_email$}  password",
        "role", "email"
    ));
    for l in logins {
        say(&format!(
            "  {:<w_role$}  {:<w_email$}  {}",
            l.role, l.email, l.password
        ));
    }
}

async fn audit_verify(db: &DbArgs) -> Result<(), String> {
    let store = open(db).await?;
    match store::audit::verify(store.conn())
        .await
        .map_err(|e| format!("cannot read the audit log: {e}"))?
    {
        Verdict::Intact(n) => {
            say(&format!("Audit log intact: {n} events verified."));
            Ok(())
        }
        Verdict::Broken {
            chain,
            seq,
            event_id,
            reason,
        } => Err(format!(
            "Audit log BROKEN in chain {chain} at event #{seq}{}: {reason}",
            event_id.map(|id| format!(" (id {id})")).unwrap_or_default()
        )),
    }
}

async fn reset_totp(db: &DbArgs, email: &str) -> Result<(), String> {
    let store = open(db).await?;
    let state = AppState::new(
        store,
        Arc::new(SystemClock),
        Settings::from_args(&ServeArgs::defaults(), "", db.data_dir.clone()),
    );
    match crate::app::totp::reset_by_operator(&state, email).await {
        Ok(true) => {
            say(&format!(
                "Two-factor sign-in is off for {email} and their sessions have ended. They sign in with their password and set it up again."
            ));
            Ok(())
        }
        Ok(false) => {
            say(&format!(
                "{email} does not use two-factor sign-in: nothing to do."
            ));
            Ok(())
        }
        Err(crate::error::AppError::NotFound) => Err(format!("No account uses {email}.")),
        Err(e) => Err(e.to_string()),
    }
}

async fn create_admin(db: &DbArgs, email: &str, name: &str) -> Result<(), String> {
    let store = open(db).await?;
    store
        .migrate()
        .await
        .map_err(|e| format!("migration failed: {e}"))?;
    let password = read_password()?;
    let state = AppState::new(
        store,
        Arc::new(SystemClock),
        Settings::from_args(&ServeArgs::defaults(), "", db.data_dir.clone()),
    );
    match accounts::create_platform_admin(&state, email, name, &password).await {
        Ok(u) => {
            say(&format!("Platform admin {} created.", u.email));
            Ok(())
        }
        Err(AppError::Validation(errs)) => Err(errs
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("\n")),
        Err(e) => Err(e.to_string()),
    }
}

/// The password from standard input when piped, else prompted twice on the terminal.
fn read_password() -> Result<String, String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password (12–128 characters): ")
            .map_err(|e| e.to_string())?;
        let again = rpassword::prompt_password("Repeat password: ").map_err(|e| e.to_string())?;
        if first != again {
            return Err("The passwords do not match.".into());
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}
