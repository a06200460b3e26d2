//! Which text and WhatsApp providers the `serve` options configure, checked at start-up.

use super::{Secret, ServeArgs};
use crate::notify::{sms::SmsConfig, whatsapp::WhatsappConfig};

/// A value given and not blank.
fn given(v: &Option<String>) -> Option<String> {
    v.as_ref()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// A secret given and not blank.
fn given_secret(v: &Option<Secret>) -> Option<Secret> {
    v.as_ref()
        .filter(|s| !s.expose().trim().is_empty())
        .cloned()
}

impl ServeArgs {
    /// The SMS provider the options configure: the one named by `--sms-provider`, else the
    /// only one configured. A named provider with missing settings, or two configured and
    /// none named, is an error at start-up.
    pub fn sms_config(&self) -> Result<Option<SmsConfig>, String> {
        let twilio = match (
            given(&self.twilio_account_sid),
            given_secret(&self.twilio_auth_token),
            given(&self.twilio_from),
        ) {
            (Some(account_sid), Some(auth_token), Some(from)) => Some(SmsConfig::Twilio {
                api_base: self.twilio_api_base.clone(),
                account_sid,
                auth_token,
                from,
            }),
            _ => None,
        };
        let msg91 = match (
            given_secret(&self.msg91_auth_key),
            given(&self.msg91_template_id),
        ) {
            (Some(auth_key), Some(template_id)) => Some(SmsConfig::Msg91 {
                api_base: self.msg91_api_base.clone(),
                auth_key,
                template_id,
                sender: given(&self.msg91_sender),
                variable: self.msg91_template_variable.clone(),
                webhook_token: given_secret(&self.msg91_webhook_token),
            }),
            _ => None,
        };
        let http = match (
            given(&self.sms_http_url),
            given_secret(&self.sms_http_secret),
        ) {
            (Some(url), Some(secret)) => {
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    return Err(format!(
                        "DOCSPOT_SMS_HTTP_URL is not an http(s) address: {url}"
                    ));
                }
                Some(SmsConfig::Http { url, secret })
            }
            _ => None,
        };
        let needs = |name: &str, what: &str| {
            format!("DOCSPOT_SMS_PROVIDER is {name}, but {what} is not set")
        };
        match given(&self.sms_provider).as_deref() {
            Some("twilio") => twilio.map(Some).ok_or_else(|| {
                needs(
                    "twilio",
                    "DOCSPOT_TWILIO_ACCOUNT_SID, DOCSPOT_TWILIO_AUTH_TOKEN or DOCSPOT_TWILIO_FROM",
                )
            }),
            Some("msg91") => msg91.map(Some).ok_or_else(|| {
                needs(
                    "msg91",
                    "DOCSPOT_MSG91_AUTH_KEY or DOCSPOT_MSG91_TEMPLATE_ID",
                )
            }),
            Some("http") => http
                .map(Some)
                .ok_or_else(|| needs("http", "DOCSPOT_SMS_HTTP_URL or DOCSPOT_SMS_HTTP_SECRET")),
            Some(other) => Err(format!(
                "DOCSPOT_SMS_PROVIDER must be twilio, msg91 or http, not {other}"
            )),
            None => {
                let mut configured: Vec<SmsConfig> =
                    [twilio, msg91, http].into_iter().flatten().collect();
                if configured.len() > 1 {
                    return Err(
                        "more than one SMS provider is configured: set DOCSPOT_SMS_PROVIDER".into(),
                    );
                }
                Ok(configured.pop())
            }
        }
    }
}

impl ServeArgs {
    /// WhatsApp, when all four of its settings are given; some but not all is an error at
    /// start-up.
    pub fn whatsapp_config(&self) -> Result<Option<WhatsappConfig>, String> {
        match (
            given(&self.whatsapp_phone_number_id),
            given_secret(&self.whatsapp_access_token),
            given_secret(&self.whatsapp_app_secret),
            given_secret(&self.whatsapp_verify_token),
        ) {
            (Some(phone_number_id), Some(access_token), Some(app_secret), Some(verify_token)) => {
                Ok(Some(WhatsappConfig {
                    api_base: self.whatsapp_api_base.clone(),
                    phone_number_id,
                    access_token,
                    app_secret,
                    verify_token,
                }))
            }
            (None, None, None, None) => Ok(None),
            _ => Err("WhatsApp needs all of DOCSPOT_WHATSAPP_PHONE_NUMBER_ID, \
                 DOCSPOT_WHATSAPP_ACCESS_TOKEN, DOCSPOT_WHATSAPP_APP_SECRET and \
                 DOCSPOT_WHATSAPP_VERIFY_TOKEN"
                .into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::serve;
    use crate::notify::sms::SmsConfig;

    #[test]
    fn whatsapp_is_on_with_all_four_settings_and_refused_with_some() {
        assert!(serve(&[]).whatsapp_config().unwrap().is_none());
        let all = [
            "--whatsapp-phone-number-id=1065",
            "--whatsapp-access-token=EAA",
            "--whatsapp-app-secret=s",
            "--whatsapp-verify-token=v",
        ];
        let c = serve(&all).whatsapp_config().unwrap().unwrap();
        assert_eq!(c.phone_number_id, "1065");
        assert_eq!(c.api_base, "https://graph.facebook.com/v21.0");
        let err = serve(&all[..3]).whatsapp_config().unwrap_err();
        assert!(err.contains("DOCSPOT_WHATSAPP_VERIFY_TOKEN"), "{err}");
    }

    #[test]
    fn the_sms_provider_is_the_one_configured_or_the_one_named() {
        let twilio = [
            "--twilio-account-sid=AC1",
            "--twilio-auth-token=t",
            "--twilio-from=+15005550006",
        ];
        let msg91 = ["--msg91-auth-key=k", "--msg91-template-id=tpl"];
        assert!(serve(&[]).sms_config().unwrap().is_none());
        assert!(matches!(
            serve(&twilio).sms_config(),
            Ok(Some(SmsConfig::Twilio { .. }))
        ));
        assert!(matches!(
            serve(&msg91).sms_config(),
            Ok(Some(SmsConfig::Msg91 { ref variable, .. })) if variable == "message"
        ));
        let both: Vec<&str> = twilio.iter().chain(msg91.iter()).copied().collect();
        let err = serve(&both).sms_config().unwrap_err();
        assert!(err.contains("DOCSPOT_SMS_PROVIDER"), "{err}");
        let mut named = both.clone();
        named.push("--sms-provider=msg91");
        assert!(matches!(
            serve(&named).sms_config(),
            Ok(Some(SmsConfig::Msg91 { .. }))
        ));
        let err = serve(&["--sms-provider=http"]).sms_config().unwrap_err();
        assert!(err.contains("DOCSPOT_SMS_HTTP_URL"), "{err}");
        let err = serve(&["--sms-provider=pigeon"]).sms_config().unwrap_err();
        assert!(err.contains("twilio, msg91 or http"), "{err}");
        let err = serve(&["--sms-http-url=ftp://x", "--sms-http-secret=s"])
            .sms_config()
            .unwrap_err();
        assert!(err.contains("http(s)"), "{err}");
        // Blank values count as not given.
        assert!(
            serve(&["--msg91-auth-key= ", "--msg91-template-id=tpl"])
                .sms_config()
                .unwrap()
                .is_none()
        );
    }
}
