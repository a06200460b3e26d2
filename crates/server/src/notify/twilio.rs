//! Twilio's Programmable Messaging: `POST /2010-04-01/Accounts/{sid}/Messages.json` with
//! HTTP basic auth (account SID, auth token), form-encoded `To`, `From`, `Body` and
//! `StatusCallback`. Status callbacks are signed in `X-Twilio-Signature`: base64 of
//! HMAC-SHA1, under the auth token, of the callback's full URL followed by each form
//! parameter's name and value, sorted by name. After a crash between a send and its commit,
//! the message list (`GET …/Messages.json?To=…&DateSent>=…`) tells whether Twilio took it.

use super::sms::{
    Callback, Delivery, Inbound, Sms, SmsError, SmsSender, StatusReport, call, failure,
};
use crate::config::Secret;
use futures_util::future::BoxFuture;

/// The Twilio account DocSpot texts through.
pub struct Twilio {
    pub api_base: String,
    pub account_sid: String,
    pub auth_token: Secret,
    /// The sending number (E.164) or messaging service.
    pub from: String,
    client: http_client::Client,
}

impl Twilio {
    pub fn new(api_base: &str, account_sid: &str, auth_token: Secret, from: &str) -> Self {
        Twilio {
            api_base: api_base.trim_end_matches('/').to_owned(),
            account_sid: account_sid.to_owned(),
            auth_token,
            from: from.to_owned(),
            client: crate::gateway::client(),
        }
    }
}

/// The `X-Twilio-Signature` of a request to `url` with form `params`.
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    use base64::Engine;
    use hmac::{KeyInit, Mac};
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut signed = url.to_owned();
    for (k, v) in sorted {
        signed.push_str(k);
        signed.push_str(v);
    }
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(auth_token.as_bytes())
        .expect("HMAC takes any key");
    mac.update(signed.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn delivery(status: &str) -> Option<Delivery> {
    match status {
        "accepted" | "scheduled" | "queued" | "sending" | "sent" => Some(Delivery::Sent),
        "delivered" | "read" => Some(Delivery::Delivered),
        "undelivered" | "failed" | "canceled" => Some(Delivery::Failed),
        _ => None,
    }
}

impl Twilio {
    /// The form of a request Twilio signed, once its `X-Twilio-Signature` holds.
    fn verified(&self, callback: &Callback<'_>) -> Result<Vec<(String, String)>, SmsError> {
        let params = callback.form()?;
        let sent = callback
            .headers
            .get("x-twilio-signature")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| SmsError::Signature("no X-Twilio-Signature".into()))?;
        let want = signature(self.auth_token.expose(), callback.url, &params);
        if !crate::signing::same(&want, sent) {
            return Err(SmsError::Signature("does not match".into()));
        }
        Ok(params)
    }
}

impl SmsSender for Twilio {
    fn name(&self) -> &'static str {
        "twilio"
    }

    fn send<'a>(
        &'a self,
        sms: &'a Sms,
        status_url: &'a str,
    ) -> BoxFuture<'a, Result<String, SmsError>> {
        Box::pin(async move {
            let form = serde_urlencoded::to_string([
                ("To", sms.to.as_str()),
                ("From", self.from.as_str()),
                ("Body", sms.body.as_str()),
                ("StatusCallback", status_url),
            ])
            .map_err(|e| SmsError::Refused(e.to_string()))?;
            let (status, body) = call(
                self.client
                    .post(format!(
                        "{}/2010-04-01/Accounts/{}/Messages.json",
                        self.api_base, self.account_sid
                    ))
                    .basic_auth(&self.account_sid, Some(self.auth_token.expose()))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(form),
            )
            .await?;
            if status.is_success() {
                return body["sid"]
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| SmsError::Unavailable("no message sid".into()));
            }
            Err(failure(
                status,
                format!(
                    "{status}: {} {}",
                    body["code"],
                    body["message"].as_str().unwrap_or("no message")
                ),
            ))
        })
    }

    fn find_sent<'a>(
        &'a self,
        sms: &'a Sms,
        since: jiff::Timestamp,
    ) -> BoxFuture<'a, Result<Option<String>, SmsError>> {
        Box::pin(async move {
            // Twilio filters by the day sent; the body and numbers tell the message.
            let day = since.to_zoned(jiff::tz::TimeZone::UTC).date().to_string();
            let query = serde_urlencoded::to_string([
                ("To", sms.to.as_str()),
                ("DateSent>", day.as_str()),
                ("PageSize", "50"),
            ])
            .map_err(|e| SmsError::Refused(e.to_string()))?;
            let (status, body) = call(
                self.client
                    .get(format!(
                        "{}/2010-04-01/Accounts/{}/Messages.json?{query}",
                        self.api_base, self.account_sid
                    ))
                    .basic_auth(&self.account_sid, Some(self.auth_token.expose())),
            )
            .await?;
            if !status.is_success() {
                return Err(failure(status, format!("{status}: listing messages")));
            }
            Ok(body["messages"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|m| {
                    m["to"] == sms.to.as_str()
                        && m["from"] == self.from.as_str()
                        && m["body"] == sms.body.as_str()
                })
                .and_then(|m| m["sid"].as_str())
                .map(str::to_owned))
        })
    }

    fn verify_inbound(&self, callback: &Callback<'_>) -> Result<Inbound, SmsError> {
        let params = self.verified(callback)?;
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        Ok(Inbound {
            from: get("From").ok_or_else(|| SmsError::Body("no From".into()))?,
            body: get("Body").unwrap_or_default(),
        })
    }

    fn verify_status(&self, callback: &Callback<'_>) -> Result<Vec<StatusReport>, SmsError> {
        let params = self.verified(callback)?;
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let sid = get("MessageSid").ok_or_else(|| SmsError::Body("no MessageSid".into()))?;
        let status = get("MessageStatus").unwrap_or_default();
        let delivery =
            delivery(status).ok_or_else(|| SmsError::Body(format!("status {status}")))?;
        Ok(vec![StatusReport {
            provider_ref: sid.to_owned(),
            delivery,
            error: get("ErrorCode")
                .filter(|c| !c.is_empty())
                .map(str::to_owned),
            reference: None,
        }])
    }
}

#[cfg(test)]
mod tests {
    use super::signature;

    #[test]
    fn the_signature_covers_the_url_and_the_sorted_parameters() {
        let p = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        let a = signature(
            "token",
            "https://clinic.example/api/v1/webhooks/twilio",
            &[p("MessageStatus", "delivered"), p("MessageSid", "SM1")],
        );
        let b = signature(
            "token",
            "https://clinic.example/api/v1/webhooks/twilio",
            &[p("MessageSid", "SM1"), p("MessageStatus", "delivered")],
        );
        assert_eq!(a, b, "order does not matter");
        assert_ne!(
            a,
            signature(
                "token",
                "https://clinic.example/api/v1/webhooks/twilio",
                &[p("MessageSid", "SM1"), p("MessageStatus", "failed")]
            )
        );
        assert_ne!(
            a,
            signature(
                "other",
                "https://clinic.example/api/v1/webhooks/twilio",
                &[]
            )
        );
    }
}
