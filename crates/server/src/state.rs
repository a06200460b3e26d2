//! Shared state of a running server.

use crate::{
    auth::rate_limit::RateLimiter,
    config::{Secret, ServeArgs},
};
use domain::Clock;
use std::{path::PathBuf, sync::Arc};
use store::Store;

/// Settings derived from the configuration at start-up.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Base URL for links in e-mails, without a trailing slash.
    pub public_url: String,
    /// Whether cookies get `Secure` and responses get HSTS (served over TLS).
    pub tls: bool,
    pub access_ttl: jiff::SignedDuration,
    pub session_ttl: jiff::SignedDuration,
    pub invite_ttl: jiff::SignedDuration,
    pub reset_ttl: jiff::SignedDuration,
    /// How long an e-mail confirmation link works.
    pub confirm_ttl: jiff::SignedDuration,
    pub data_dir: PathBuf,
    pub smtp_url: Option<Secret>,
    pub mail_from: String,
    pub trust_proxy: bool,
    /// Webhook endpoints may be `http://` (else `https://` only).
    pub webhook_allow_http: bool,
    pub max_body_bytes: usize,
    /// Empty for DATA_DIR/documents, or `s3://bucket/prefix`.
    pub documents_url: String,
    pub max_upload_bytes: usize,
    pub rate_per_ip: u32,
    pub rate_per_account: u32,
    pub rate_window_secs: u64,
    /// How long a request may take to be answered.
    pub request_timeout: std::time::Duration,
    /// Stripe's API address, secret key and webhook secret, when online payment is on.
    pub stripe: Option<(String, Secret, Secret)>,
    /// Razorpay's API address, key id, key secret and webhook secret, when it is on.
    pub razorpay: Option<(String, String, Secret, Secret)>,
    /// Where mobile numbers typed without `+` are read, unless the clinic has a country.
    pub default_country: domain::phone::Region,
    /// The SMS provider, when texts are on (checked at start-up: `ServeArgs::sms_config`).
    pub sms: Option<crate::notify::sms::SmsConfig>,
    /// WhatsApp, when it is on (checked at start-up: `ServeArgs::whatsapp_config`).
    pub whatsapp: Option<crate::notify::whatsapp::WhatsappConfig>,
}

impl Settings {
    /// Settings from the `serve` options, for a server reached at `public_url`.
    pub fn from_args(args: &ServeArgs, public_url: &str, data_dir: PathBuf) -> Self {
        Settings {
            tls: public_url.starts_with("https://"),
            public_url: public_url.trim_end_matches('/').to_owned(),
            access_ttl: jiff::SignedDuration::from_mins(15),
            session_ttl: jiff::SignedDuration::from_hours(24 * 30),
            invite_ttl: jiff::SignedDuration::from_hours(24 * 7),
            reset_ttl: jiff::SignedDuration::from_mins(30),
            confirm_ttl: jiff::SignedDuration::from_hours(24 * 7),
            data_dir,
            smtp_url: args.smtp_url.clone(),
            mail_from: args.mail_from.clone(),
            trust_proxy: args.trust_proxy,
            webhook_allow_http: args.webhook_allow_http,
            max_body_bytes: args.max_body_bytes,
            documents_url: args.documents_url.clone(),
            max_upload_bytes: args.max_upload_bytes,
            rate_per_ip: args.auth_rate_per_ip,
            rate_per_account: args.auth_rate_per_account,
            rate_window_secs: args.auth_rate_window_secs,
            request_timeout: std::time::Duration::from_secs(args.request_timeout.max(1)),
            default_country: args.default_country,
            sms: args.sms_config().unwrap_or(None),
            whatsapp: args.whatsapp_config().unwrap_or(None),
            stripe: match (&args.stripe_secret_key, &args.stripe_webhook_secret) {
                (Some(k), Some(w)) if !k.expose().is_empty() && !w.expose().is_empty() => {
                    Some((args.stripe_api_base.clone(), k.clone(), w.clone()))
                }
                _ => None,
            },
            razorpay: match (
                &args.razorpay_key_id,
                &args.razorpay_key_secret,
                &args.razorpay_webhook_secret,
            ) {
                (Some(id), Some(k), Some(w))
                    if !id.is_empty() && !k.expose().is_empty() && !w.expose().is_empty() =>
                {
                    Some((
                        args.razorpay_api_base.clone(),
                        id.clone(),
                        k.clone(),
                        w.clone(),
                    ))
                }
                _ => None,
            },
        }
    }
}

/// Everything a handler may need. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
    pub limiter: RateLimiter,
    /// Clinics whose queue just changed, for the live boards of this instance.
    pub queue_events: tokio::sync::broadcast::Sender<domain::ClinicId>,
    /// On PostgreSQL, the task that relays other instances' queue changes; started by the
    /// first board, stopped with the state.
    pub queue_listener: tokio::sync::OnceCell<Listener>,
    /// The key that signs patients' queue-status links, shared through the database.
    pub link_key: tokio::sync::OnceCell<String>,
    /// The install's VAPID key pair for web push, shared through the database.
    pub vapid: tokio::sync::OnceCell<crate::notify::push::Vapid>,
    /// Where documents are kept, opened on first use.
    pub documents: tokio::sync::OnceCell<Arc<dyn object_store::ObjectStore>>,
    /// Set when the server begins to shut down: live streams end, the worker stops.
    pub stopping: tokio::sync::watch::Sender<bool>,
    /// The online payment providers configured.
    pub stripe: Option<Arc<dyn crate::gateway::Gateway>>,
    pub razorpay: Option<Arc<dyn crate::gateway::Gateway>>,
    /// The SMS provider configured.
    pub sms: Option<Arc<dyn crate::notify::sms::SmsSender>>,
    pub whatsapp: Option<Arc<crate::notify::whatsapp::Whatsapp>>,
}

/// A background task that ends when dropped.
pub struct Listener(Option<tokio::task::JoinHandle<()>>);

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(t) = &self.0 {
            t.abort();
        }
    }
}

impl AppState {
    pub fn new(store: Store, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        AppState(Arc::new(Inner {
            store,
            clock,
            limiter: RateLimiter::default(),
            queue_events: tokio::sync::broadcast::channel(256).0,
            queue_listener: tokio::sync::OnceCell::new(),
            link_key: tokio::sync::OnceCell::new(),
            vapid: tokio::sync::OnceCell::new(),
            documents: tokio::sync::OnceCell::new(),
            stopping: tokio::sync::watch::channel(false).0,
            stripe: settings.stripe.clone().map(|(base, key, hook)| {
                Arc::new(crate::gateway::stripe::Stripe::new(&base, key, hook))
                    as Arc<dyn crate::gateway::Gateway>
            }),
            razorpay: settings.razorpay.clone().map(|(base, id, key, hook)| {
                Arc::new(crate::gateway::razorpay::Razorpay::new(
                    &base, &id, key, hook,
                )) as Arc<dyn crate::gateway::Gateway>
            }),
            sms: settings
                .sms
                .clone()
                .map(crate::notify::sms::SmsConfig::sender),
            whatsapp: settings
                .whatsapp
                .clone()
                .map(|c| Arc::new(crate::notify::whatsapp::Whatsapp::new(c))),
            settings,
        }))
    }

    /// The install's VAPID key pair (made on first use, the same for every instance).
    pub async fn vapid(&self) -> Result<&crate::notify::push::Vapid, store::StoreError> {
        self.0
            .vapid
            .get_or_try_init(|| async {
                let seed = store::secrets::get_or_create(self.store().conn(), "vapid").await?;
                Ok(crate::notify::push::Vapid::from_seed(&seed))
            })
            .await
    }

    /// How push services reach the install's operator (VAPID's `sub`): the mail sender's
    /// address, else the public address.
    pub fn push_subject(&self) -> String {
        let from = &self.settings().mail_from;
        let address = from
            .rsplit_once('<')
            .map_or(from.as_str(), |(_, a)| a.trim_end_matches('>'))
            .trim();
        if address.contains('@') {
            format!("mailto:{address}")
        } else {
            self.settings().public_url.clone()
        }
    }

    /// The SMS provider, when texts are on.
    pub fn sms(&self) -> Option<&Arc<dyn crate::notify::sms::SmsSender>> {
        self.0.sms.as_ref()
    }

    /// WhatsApp, when it is on.
    pub fn whatsapp(&self) -> Option<&Arc<crate::notify::whatsapp::Whatsapp>> {
        self.0.whatsapp.as_ref()
    }

    /// The payment provider named `name`, when it is configured.
    pub fn gateway(&self, name: &str) -> Option<&Arc<dyn crate::gateway::Gateway>> {
        match name {
            "stripe" => self.0.stripe.as_ref(),
            "razorpay" => self.0.razorpay.as_ref(),
            _ => None,
        }
    }

    pub fn store(&self) -> &Store {
        &self.0.store
    }

    pub fn now(&self) -> jiff::Timestamp {
        self.0.clock.now()
    }

    pub fn clock(&self) -> Arc<dyn Clock> {
        self.0.clock.clone()
    }

    pub fn settings(&self) -> &Settings {
        &self.0.settings
    }

    /// Tells live streams and the worker that the server is shutting down.
    pub fn begin_shutdown(&self) {
        self.0.stopping.send_replace(true);
    }

    /// A receiver of the shutdown flag, for loops that check it between steps.
    pub fn stop_signal(&self) -> tokio::sync::watch::Receiver<bool> {
        self.0.stopping.subscribe()
    }

    /// Resolves once the server has begun to shut down.
    pub async fn stopping(&self) {
        let mut rx = self.0.stopping.subscribe();
        let _ = rx.wait_for(|s| *s).await;
    }

    pub fn limiter(&self) -> &RateLimiter {
        &self.0.limiter
    }

    /// Tells this instance's live boards that `clinic`'s queue changed (after commit).
    pub fn queue_changed(&self, clinic: domain::ClinicId) {
        // No open board is no error.
        let _ = self.0.queue_events.send(clinic);
    }

    /// The key that signs queue-status links (made on first use, the same for every instance).
    pub async fn link_key(&self) -> Result<&str, store::StoreError> {
        self.0
            .link_key
            .get_or_try_init(|| store::secrets::get_or_create(self.0.store.conn(), "queue_link"))
            .await
            .map(String::as_str)
    }

    /// The document store: DATA_DIR/documents, or the S3 bucket configured.
    pub async fn documents(&self) -> Result<Arc<dyn object_store::ObjectStore>, String> {
        self.0
            .documents
            .get_or_try_init(|| async { open_documents(&self.0.settings) })
            .await
            .cloned()
    }

    /// The link key if it has been read already: inside a write transaction, where reading
    /// it from the database could wait on that same transaction.
    pub fn loaded_link_key(&self) -> Option<&str> {
        self.0.link_key.get().map(String::as_str)
    }

    /// A receiver of queue changes, for one live board. On PostgreSQL the first call
    /// starts listening to the other instances, and returns once that listener is live.
    pub async fn queue_events(&self) -> tokio::sync::broadcast::Receiver<domain::ClinicId> {
        let rx = self.0.queue_events.subscribe();
        let sender = self.0.queue_events.clone();
        let started = self
            .0
            .queue_listener
            .get_or_try_init(|| async move {
                let relay = move |c| {
                    let _ = sender.send(c);
                };
                store::queue::listen(&self.0.store, relay)
                    .await
                    .map(Listener)
            })
            .await;
        if let Err(e) = started {
            // Boards still refresh by themselves; the next board tries again.
            tracing::warn!(error = %e, "cannot listen for queue changes");
        }
        rx
    }
}

fn open_documents(s: &Settings) -> Result<Arc<dyn object_store::ObjectStore>, String> {
    use object_store::{aws::AmazonS3Builder, local::LocalFileSystem, prefix::PrefixStore};
    let url = s.documents_url.trim();
    if url.is_empty() {
        let dir = s.data_dir.join("documents");
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let local = LocalFileSystem::new_with_prefix(&dir).map_err(|e| e.to_string())?;
        return Ok(Arc::new(local));
    }
    let rest = url
        .strip_prefix("s3://")
        .ok_or_else(|| format!("documents URL {url:?} is neither empty nor s3://bucket/prefix"))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let s3 = AmazonS3Builder::from_env()
        .with_bucket_name(bucket)
        .build()
        .map_err(|e| e.to_string())?;
    Ok(match prefix.trim_matches('/') {
        "" => Arc::new(s3),
        p => Arc::new(PrefixStore::new(s3, p)),
    })
}
