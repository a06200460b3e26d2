//! Reaching patients and signing in: messages on SMS and WhatsApp with where they stand,
//! one-time codes, notification preferences and opt-outs, staff's second factor, clinics'
//! outgoing webhooks and patients' push subscriptions.

use super::uuid_type;
use sea_orm::DbBackend;

/// Messages sent to patients on a channel other than e-mail (texts), each with where it
/// stands: queued, sent (the provider took it), delivered, or failed, from the provider's
/// signed status callbacks.
pub fn messages(backend: DbBackend) -> String {
    let uuid = uuid_type(backend);
    format!(
        r#"
CREATE TABLE messages (
    id {uuid} PRIMARY KEY,
    clinic_id {uuid} REFERENCES clinics(id),
    channel TEXT NOT NULL CHECK (channel IN ('sms')),
    kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
    recipient TEXT NOT NULL CHECK (length(recipient) BETWEEN 1 AND 64),
    body TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 1600),
    provider TEXT,
    provider_ref TEXT CHECK (provider_ref IS NULL OR length(provider_ref) <= 64),
    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'delivered', 'failed')),
    error TEXT CHECK (error IS NULL OR length(error) <= 300),
    attempts INTEGER NOT NULL CHECK (attempts >= 0),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT messages_provider_ref_key UNIQUE (provider, provider_ref)
);
CREATE INDEX messages_clinic_idx ON messages (clinic_id, created_at);
"#
    )
}

/// One-time sign-in codes: a hash of each code (never the code), for one account, good
/// for one use within minutes and a few tries.
pub fn otp_codes(backend: DbBackend) -> String {
    let uuid = uuid_type(backend);
    format!(
        r#"
CREATE TABLE otp_codes (
    id {uuid} PRIMARY KEY,
    user_id {uuid} NOT NULL REFERENCES users(id),
    channel TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
    code_hash TEXT NOT NULL,
    attempts INTEGER NOT NULL CHECK (attempts >= 0),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX otp_codes_user_idx ON otp_codes (user_id, created_at);
"#
    )
}

/// What a one-time code is for: signing in, or proving a new mobile number (`target`)
/// before it replaces the account's.
pub fn otp_purpose(_backend: DbBackend) -> String {
    r#"
ALTER TABLE otp_codes ADD COLUMN purpose TEXT NOT NULL DEFAULT 'sign_in'
    CONSTRAINT otp_codes_purpose CHECK (purpose IN ('sign_in', 'phone'));
ALTER TABLE otp_codes ADD COLUMN target TEXT
    CONSTRAINT otp_codes_target_len CHECK (target IS NULL OR length(target) <= 16);
"#
    .to_owned()
}

/// Patients' say in how they are reached: per account, each channel on or off with when
/// and how they chose (no row: the channel's default), and the language and quiet hours
/// of their texts; per address, the numbers and e-mail addresses that asked to hear no
/// more (a STOP reply, an unsubscribe link), whoever holds them.
pub fn notification_preferences(backend: DbBackend) -> String {
    let uuid = uuid_type(backend);
    format!(
        r#"
CREATE TABLE notification_channels (
    user_id {uuid} NOT NULL REFERENCES users(id),
    channel TEXT NOT NULL CHECK (channel IN ('sms', 'email', 'whatsapp', 'push')),
    enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    changed_at BIGINT NOT NULL,
    source TEXT NOT NULL CHECK (length(source) BETWEEN 1 AND 64),
    PRIMARY KEY (user_id, channel)
);
CREATE TABLE notification_settings (
    user_id {uuid} PRIMARY KEY REFERENCES users(id),
    language TEXT NOT NULL CHECK (language IN ('en', 'hi')),
    quiet_start INTEGER CHECK (quiet_start BETWEEN 0 AND 1439),
    quiet_end INTEGER CHECK (quiet_end BETWEEN 0 AND 1439),
    updated_at BIGINT NOT NULL
);
CREATE TABLE channel_opt_outs (
    channel TEXT NOT NULL CHECK (channel IN ('sms', 'email', 'whatsapp')),
    address TEXT NOT NULL CHECK (length(address) BETWEEN 1 AND 320),
    at BIGINT NOT NULL,
    source TEXT NOT NULL CHECK (length(source) BETWEEN 1 AND 64),
    PRIMARY KEY (channel, address)
);
"#
    )
}

/// Staff's second factor: a TOTP secret per account (live once confirmed with a code;
/// `last_step` keeps a code from working twice), single-use recovery codes (hashes only),
/// the short-lived challenges a password sign-in answers while the code is awaited, and
/// the roles a clinic requires it of.
pub fn totp(backend: DbBackend) -> String {
    let uuid = uuid_type(backend);
    format!(
        r#"
CREATE TABLE totp_factors (
    user_id {uuid} PRIMARY KEY REFERENCES users(id),
    secret TEXT NOT NULL CHECK (length(secret) BETWEEN 16 AND 64),
    created_at BIGINT NOT NULL,
    confirmed_at BIGINT,
    last_step BIGINT
);
CREATE TABLE recovery_codes (
    user_id {uuid} NOT NULL REFERENCES users(id),
    code_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (user_id, code_hash)
);
CREATE TABLE mfa_challenges (
    token_hash TEXT PRIMARY KEY,
    user_id {uuid} NOT NULL REFERENCES users(id),
    action TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 64),
    attempts INTEGER NOT NULL CHECK (attempts >= 0),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX mfa_challenges_user_idx ON mfa_challenges (user_id, created_at);
ALTER TABLE clinics ADD COLUMN totp_roles TEXT NOT NULL DEFAULT ''
    CONSTRAINT clinics_totp_roles CHECK (length(totp_roles) <= 64);
"#
    )
}

/// Outgoing webhooks: the endpoints a clinic's admins register (the events each wants, and
/// the secret its deliveries are signed with), and one delivery per endpoint and event,
/// with where it stands.
pub fn webhooks(backend: DbBackend) -> String {
    let uuid = uuid_type(backend);
    format!(
        r#"
CREATE TABLE webhook_endpoints (
    id {uuid} PRIMARY KEY,
    clinic_id {uuid} NOT NULL REFERENCES clinics(id),
    url TEXT NOT NULL CHECK (length(url) BETWEEN 8 AND 500),
    events TEXT NOT NULL CHECK (length(events) BETWEEN 1 AND 1000),
    description TEXT NOT NULL CHECK (length(description) <= 200),
    secret TEXT NOT NULL CHECK (length(secret) BETWEEN 16 AND 100),
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX webhook_endpoints_clinic_idx ON webhook_endpoints (clinic_id, created_at);
CREATE TABLE webhook_deliveries (
    id {uuid} PRIMARY KEY,
    endpoint_id {uuid} NOT NULL REFERENCES webhook_endpoints(id),
    clinic_id {uuid} NOT NULL REFERENCES clinics(id),
    event_id {uuid} NOT NULL,
    event_kind TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL CHECK (attempts >= 0),
    response_status INTEGER,
    error TEXT CHECK (error IS NULL OR length(error) <= 300),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT webhook_deliveries_endpoint_event_key UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, created_at);
"#
    )
}

/// Web push: each device an account subscribed (the push service's endpoint and the
/// keys its messages are encrypted to).
pub fn push_subscriptions(backend: DbBackend) -> String {
    let uuid = uuid_type(backend);
    format!(
        r#"
CREATE TABLE push_subscriptions (
    id {uuid} PRIMARY KEY,
    user_id {uuid} NOT NULL REFERENCES users(id),
    endpoint TEXT NOT NULL CHECK (length(endpoint) BETWEEN 8 AND 1000),
    p256dh TEXT NOT NULL CHECK (length(p256dh) BETWEEN 80 AND 100),
    auth TEXT NOT NULL CHECK (length(auth) BETWEEN 16 AND 32),
    user_agent TEXT NOT NULL CHECK (length(user_agent) <= 300),
    created_at BIGINT NOT NULL,
    CONSTRAINT push_subscriptions_endpoint_key UNIQUE (endpoint)
);
CREATE INDEX push_subscriptions_user_idx ON push_subscriptions (user_id);
"#
    )
}

/// When a text's send began and has no outcome yet: after a crash between the provider's
/// answer and the commit, the next run asks the provider whether it took the text.
pub fn message_sending(_backend: DbBackend) -> String {
    "ALTER TABLE messages ADD COLUMN sending_at BIGINT;\n".to_owned()
}

/// Messages on WhatsApp beside SMS: the channel takes `whatsapp`, a provider's reference
/// may be as long as WhatsApp's (`wamid.…`), and a message keeps its template (JSON) and
/// the account it is for, so it can be sent again as it was, to the patient's say at the
/// time. SQLite cannot change a CHECK, so it copies the table.
pub fn whatsapp_messages(backend: DbBackend) -> String {
    match backend {
        DbBackend::Sqlite => {
            let uuid = uuid_type(backend);
            format!(
                r#"
CREATE TABLE messages_new (
    id {uuid} PRIMARY KEY,
    clinic_id {uuid} REFERENCES clinics(id),
    channel TEXT NOT NULL CHECK (channel IN ('sms', 'whatsapp')),
    kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
    recipient TEXT NOT NULL CHECK (length(recipient) BETWEEN 1 AND 64),
    body TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 1600),
    provider TEXT,
    provider_ref TEXT CHECK (provider_ref IS NULL OR length(provider_ref) <= 128),
    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'delivered', 'failed')),
    error TEXT CHECK (error IS NULL OR length(error) <= 300),
    attempts INTEGER NOT NULL CHECK (attempts >= 0),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    sending_at BIGINT,
    template TEXT CHECK (template IS NULL OR length(template) <= 4000),
    user_id {uuid} REFERENCES users(id),
    CONSTRAINT messages_provider_ref_key UNIQUE (provider, provider_ref)
);
INSERT INTO messages_new (id, clinic_id, channel, kind, recipient, body, provider,
    provider_ref, status, error, attempts, created_at, updated_at, sending_at)
SELECT id, clinic_id, channel, kind, recipient, body, provider, provider_ref, status, error,
    attempts, created_at, updated_at, sending_at FROM messages;
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;
CREATE INDEX messages_clinic_idx ON messages (clinic_id, created_at);
"#
            )
        }
        _ => r#"
ALTER TABLE messages DROP CONSTRAINT messages_channel_check;
ALTER TABLE messages ADD CONSTRAINT messages_channel_check
    CHECK (channel IN ('sms', 'whatsapp'));
ALTER TABLE messages DROP CONSTRAINT messages_provider_ref_check;
ALTER TABLE messages ADD CONSTRAINT messages_provider_ref_check
    CHECK (provider_ref IS NULL OR length(provider_ref) <= 128);
ALTER TABLE messages ADD COLUMN template TEXT
    CONSTRAINT messages_template_len CHECK (template IS NULL OR length(template) <= 4000);
ALTER TABLE messages ADD COLUMN user_id UUID REFERENCES users(id);
"#
        .to_owned(),
    }
}
