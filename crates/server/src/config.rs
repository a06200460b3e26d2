//! Configuration from flags and `DOCSPOT_*` environment variables.

use clap::{Args, Parser, Subcommand};
use domain::phone::Region;
use std::{net::SocketAddr, path::PathBuf};

mod messaging;

/// A string that never shows up in logs or `Debug` output.
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    /// The secret value itself; call only where it is used.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

/// DocSpot: clinic and appointment management.
#[derive(Debug, Parser)]
#[command(name = "docspot", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub db: DbArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Where the data lives.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Folder for the SQLite database, outgoing .eml files and uploads.
    #[arg(
        long,
        env = "DOCSPOT_DATA_DIR",
        default_value = "./docspot-data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL instead of SQLite.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<Secret>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server and background workers.
    Serve(Box<ServeArgs>),
    /// Apply database migrations and exit.
    Migrate,
    /// Audit-log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// User administration.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain; name the first broken event.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a platform admin. The password is read from standard input, or prompted for.
    CreateAdmin {
        /// The admin's e-mail address (their login).
        #[arg(long)]
        email: String,
        /// The admin's display name.
        #[arg(long, default_value = "Platform admin")]
        name: String,
    },
    /// Take two-factor sign-in off an account whose phone and recovery codes are both
    /// lost; its sessions end. They sign in with their password and set it up again.
    ResetTotp {
        /// The account's e-mail address.
        #[arg(long)]
        email: String,
    },
}

/// Options of `docspot serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "DOCSPOT_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Seed a demo clinic with generated passwords (printed once) if the database is empty.
    #[arg(long, env = "DOCSPOT_DEMO")]
    pub demo: bool,
    /// The URL people reach DocSpot at, used in e-mailed links. Default: http://ADDR.
    #[arg(long, env = "DOCSPOT_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Send e-mail through this SMTP server: `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS), `smtps://user:pass@host:465` (TLS) or `smtp://host:25` (plain, for a local
    /// relay). Default: write .eml files under DATA_DIR/outbox.
    #[arg(long, env = "DOCSPOT_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<Secret>,
    /// The From address of outgoing e-mail.
    #[arg(
        long,
        env = "DOCSPOT_MAIL_FROM",
        default_value = "DocSpot <no-reply@docspot.invalid>"
    )]
    pub mail_from: String,
    /// Login/register/reset attempts allowed per client IP per window.
    #[arg(long, env = "DOCSPOT_AUTH_RATE_PER_IP", default_value_t = 30)]
    pub auth_rate_per_ip: u32,
    /// Login/reset attempts allowed per account (e-mail) per window.
    #[arg(long, env = "DOCSPOT_AUTH_RATE_PER_ACCOUNT", default_value_t = 10)]
    pub auth_rate_per_account: u32,
    /// Length of the rate-limit window, in seconds.
    #[arg(long, env = "DOCSPOT_AUTH_RATE_WINDOW_SECS", default_value_t = 900)]
    pub auth_rate_window_secs: u64,
    /// Trust `X-Forwarded-For` / `X-Forwarded-Proto` from a reverse proxy.
    #[arg(long, env = "DOCSPOT_TRUST_PROXY")]
    pub trust_proxy: bool,
    /// Let clinics register webhook endpoints at plain `http://` addresses (a private
    /// network); otherwise only `https://` is taken.
    #[arg(long, env = "DOCSPOT_WEBHOOK_ALLOW_HTTP")]
    pub webhook_allow_http: bool,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "DOCSPOT_MAX_BODY_BYTES", default_value_t = 1_048_576)]
    pub max_body_bytes: usize,
    /// Where patients' documents are kept: empty for DATA_DIR/documents, or
    /// `s3://bucket/prefix` for S3 or an S3-compatible service (credentials and endpoint from
    /// the usual AWS_* variables, e.g. AWS_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
    /// AWS_REGION, AWS_ALLOW_HTTP).
    #[arg(long, env = "DOCSPOT_DOCUMENTS_URL", default_value = "")]
    pub documents_url: String,
    /// Largest document a patient or staff member may upload, in bytes.
    #[arg(long, env = "DOCSPOT_MAX_UPLOAD_BYTES", default_value_t = 10_485_760)]
    pub max_upload_bytes: usize,
    /// Do not run background workers in this process.
    #[arg(long, env = "DOCSPOT_NO_WORKER")]
    pub no_worker: bool,
    /// On SIGTERM or SIGINT: seconds to let in-flight requests finish (live pages and the
    /// worker are told to stop at once) before exiting anyway.
    #[arg(long, env = "DOCSPOT_SHUTDOWN_TIMEOUT", default_value_t = 10)]
    pub shutdown_timeout: u64,
    /// Seconds a client has to send a request's headers; an idle kept-alive connection is
    /// closed after as long.
    #[arg(long, env = "DOCSPOT_HEADER_READ_TIMEOUT", default_value_t = 10)]
    pub header_read_timeout: u64,
    /// Seconds a request (its body included) may take before it is answered 408; live
    /// pages' event streams are exempt once they have started.
    #[arg(long, env = "DOCSPOT_REQUEST_TIMEOUT", default_value_t = 60)]
    pub request_timeout: u64,
    /// Log format: `json` (default) or `pretty`.
    #[arg(long, env = "DOCSPOT_LOG_FORMAT", default_value = "json")]
    pub log_format: String,
    /// Stripe's secret API key (`sk_live_…`). With the webhook secret, patients and the desk
    /// can pay bills online through Stripe Checkout.
    #[arg(long, env = "DOCSPOT_STRIPE_SECRET_KEY", hide_env_values = true)]
    pub stripe_secret_key: Option<Secret>,
    /// The signing secret (`whsec_…`) of the Stripe webhook endpoint
    /// `PUBLIC_URL/api/v1/webhooks/stripe`.
    #[arg(long, env = "DOCSPOT_STRIPE_WEBHOOK_SECRET", hide_env_values = true)]
    pub stripe_webhook_secret: Option<Secret>,
    /// Stripe's API address (changed only for tests).
    #[arg(
        long,
        env = "DOCSPOT_STRIPE_API_BASE",
        default_value = "https://api.stripe.com"
    )]
    pub stripe_api_base: String,
    /// Razorpay's key id (`rzp_live_…`). With the key secret and the webhook secret,
    /// patients and the desk can pay bills online through Razorpay Payment Links.
    #[arg(long, env = "DOCSPOT_RAZORPAY_KEY_ID")]
    pub razorpay_key_id: Option<String>,
    /// Razorpay's key secret.
    #[arg(long, env = "DOCSPOT_RAZORPAY_KEY_SECRET", hide_env_values = true)]
    pub razorpay_key_secret: Option<Secret>,
    /// The secret of the Razorpay webhook `PUBLIC_URL/api/v1/webhooks/razorpay`.
    #[arg(long, env = "DOCSPOT_RAZORPAY_WEBHOOK_SECRET", hide_env_values = true)]
    pub razorpay_webhook_secret: Option<Secret>,
    /// Razorpay's API address (changed only for tests).
    #[arg(
        long,
        env = "DOCSPOT_RAZORPAY_API_BASE",
        default_value = "https://api.razorpay.com"
    )]
    pub razorpay_api_base: String,
    /// The country (ISO 3166 letters) whose numbering a mobile number typed without `+` is
    /// read in, for clinics that set none and outside any clinic (sign-up).
    #[arg(long, env = "DOCSPOT_DEFAULT_COUNTRY", default_value = "IN", value_parser = region)]
    pub default_country: Region,
    /// Twilio's account SID (`AC…`). With the auth token and a sending number, patients get
    /// their appointment texts through Twilio.
    #[arg(long, env = "DOCSPOT_TWILIO_ACCOUNT_SID")]
    pub twilio_account_sid: Option<String>,
    /// Twilio's auth token (also what signs its status callbacks).
    #[arg(long, env = "DOCSPOT_TWILIO_AUTH_TOKEN", hide_env_values = true)]
    pub twilio_auth_token: Option<Secret>,
    /// The number (E.164) or messaging service SID texts are sent from.
    #[arg(long, env = "DOCSPOT_TWILIO_FROM")]
    pub twilio_from: Option<String>,
    /// Twilio's API address (changed only for tests).
    #[arg(
        long,
        env = "DOCSPOT_TWILIO_API_BASE",
        default_value = "https://api.twilio.com"
    )]
    pub twilio_api_base: String,
    /// Which SMS provider sends texts: `twilio`, `msg91` or `http`. Needed only where more
    /// than one is configured; otherwise the configured one is used.
    #[arg(long, env = "DOCSPOT_SMS_PROVIDER")]
    pub sms_provider: Option<String>,
    /// MSG91's auth key. With a template id, patients get their texts through MSG91.
    #[arg(long, env = "DOCSPOT_MSG91_AUTH_KEY", hide_env_values = true)]
    pub msg91_auth_key: Option<Secret>,
    /// The MSG91 template (flow) id texts are sent with; its DLT text is one variable.
    #[arg(long, env = "DOCSPOT_MSG91_TEMPLATE_ID")]
    pub msg91_template_id: Option<String>,
    /// The template variable the text goes into.
    #[arg(
        long,
        env = "DOCSPOT_MSG91_TEMPLATE_VARIABLE",
        default_value = "message"
    )]
    pub msg91_template_variable: String,
    /// The DLT sender id (header), where the template does not fix one.
    #[arg(long, env = "DOCSPOT_MSG91_SENDER")]
    pub msg91_sender: Option<String>,
    /// The token in the MSG91 delivery-report webhook's address
    /// (`PUBLIC_URL/api/v1/webhooks/sms/msg91?token=…`); without it reports are refused.
    #[arg(long, env = "DOCSPOT_MSG91_WEBHOOK_TOKEN", hide_env_values = true)]
    pub msg91_webhook_token: Option<Secret>,
    /// MSG91's API address (changed only for tests).
    #[arg(
        long,
        env = "DOCSPOT_MSG91_API_BASE",
        default_value = "https://control.msg91.com"
    )]
    pub msg91_api_base: String,
    /// A gateway speaking DocSpot's SMS protocol (docs/configuration.md): where texts are
    /// posted.
    #[arg(long, env = "DOCSPOT_SMS_HTTP_URL")]
    pub sms_http_url: Option<String>,
    /// The secret that signs texts to the HTTP gateway and its status callbacks.
    #[arg(long, env = "DOCSPOT_SMS_HTTP_SECRET", hide_env_values = true)]
    pub sms_http_secret: Option<Secret>,
    /// The WhatsApp Business phone number id (Meta's Cloud API). With the access token,
    /// app secret and verify token, patients who say yes to WhatsApp get their messages
    /// there as templates (docs/configuration.md).
    #[arg(long, env = "DOCSPOT_WHATSAPP_PHONE_NUMBER_ID")]
    pub whatsapp_phone_number_id: Option<String>,
    /// A system user's access token with `whatsapp_business_messaging`.
    #[arg(long, env = "DOCSPOT_WHATSAPP_ACCESS_TOKEN", hide_env_values = true)]
    pub whatsapp_access_token: Option<Secret>,
    /// The Meta app's secret, which signs its webhook (`X-Hub-Signature-256`).
    #[arg(long, env = "DOCSPOT_WHATSAPP_APP_SECRET", hide_env_values = true)]
    pub whatsapp_app_secret: Option<Secret>,
    /// The verify token typed into the app's webhook settings.
    #[arg(long, env = "DOCSPOT_WHATSAPP_VERIFY_TOKEN", hide_env_values = true)]
    pub whatsapp_verify_token: Option<Secret>,
    /// The Graph API address and version (changed only for tests or a new version).
    #[arg(
        long,
        env = "DOCSPOT_WHATSAPP_API_BASE",
        default_value = "https://graph.facebook.com/v21.0"
    )]
    pub whatsapp_api_base: String,
}

fn region(raw: &str) -> Result<Region, String> {
    Region::parse(raw).map_err(|e| e.message)
}

/// `ServeArgs` alone, so its defaults can be read without a subcommand.
#[derive(Parser)]
struct ServeOnly {
    #[command(flatten)]
    serve: ServeArgs,
}

impl ServeArgs {
    /// The options as `docspot serve` with no flags would have them.
    pub fn defaults() -> Self {
        ServeOnly::parse_from(["docspot"]).serve
    }

    /// The defaults on a free port, with rate limits out of the way of test traffic.
    pub fn for_tests() -> Self {
        ServeArgs {
            addr: "127.0.0.1:0".parse().expect("literal address"),
            auth_rate_per_ip: 1000,
            auth_rate_per_account: 1000,
            ..Self::defaults()
        }
    }
}

impl DbArgs {
    /// The database URL: DATABASE_URL, or SQLite under the data folder.
    pub fn url(&self) -> String {
        match &self.database_url {
            Some(u) if !u.expose().is_empty() => u.expose().to_owned(),
            _ => format!("sqlite://{}/docspot.db?mode=rwc", self.data_dir.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_database_urls_are_redacted_in_debug_output() {
        let s: Secret = "smtp://u:very-secret@host".parse().unwrap();
        assert_eq!(format!("{s:?}"), "[redacted]");
        let db = DbArgs {
            data_dir: "x".into(),
            database_url: Some("postgres://u:pw-secret@h/d".parse().unwrap()),
        };
        assert!(!format!("{db:?}").contains("pw-secret"));
        let cfg = store::DbConfig {
            url: db.url(),
            max_connections: 1,
        };
        assert!(!format!("{cfg:?}").contains("pw-secret"), "{cfg:?}");
        assert!(format!("{cfg:?}").contains("u:[redacted]@h/d"), "{cfg:?}");
    }

    pub(super) fn serve(args: &[&str]) -> ServeArgs {
        let mut all = vec!["docspot"];
        all.extend_from_slice(args);
        ServeOnly::try_parse_from(all).unwrap().serve
    }
}
