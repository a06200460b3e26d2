//! `webhook.deliver`: posts one delivery to its endpoint, signed with the endpoint's secret
//! at the time of sending, and records the answer. A 2xx delivers it; anything else is
//! tried again with backoff, and after the last attempt it is failed. A delivered one is
//! not sent again by a repeated run (a replay reopens it first); one whose endpoint was
//! removed is failed.

use super::{Job, JobCtx, JobError, RetryPolicy};
use crate::error::AppError;
use store::webhooks::{self, Status};

/// One delivery to send.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeliverWebhook {
    pub delivery: uuid::Uuid,
}

impl Job for DeliverWebhook {
    const KIND: &'static str = "webhook.deliver";
    const RETRY: RetryPolicy = RetryPolicy::STANDARD;

    async fn run(&self, ctx: &JobCtx<'_>) -> Result<(), JobError> {
        let state = ctx.state;
        let c = state.store().conn();
        let Some(d) = webhooks::find_delivery(c, self.delivery)
            .await
            .map_err(AppError::from)?
        else {
            return Ok(());
        };
        if d.status != Status::Pending {
            return Ok(());
        }
        let now = state.now();
        let Some(endpoint) = webhooks::find_endpoint(c, d.clinic_id, d.endpoint_id)
            .await
            .map_err(AppError::from)?
        else {
            webhooks::attempted(
                c,
                d.id,
                Status::Failed,
                None,
                Some("The endpoint was removed."),
                now,
            )
            .await
            .map_err(AppError::from)?;
            return Ok(());
        };
        let signature =
            crate::signing::header(&endpoint.secret, now.as_second(), d.body.as_bytes());
        let res = crate::gateway::client()
            .post(&endpoint.url)
            .header("content-type", "application/json")
            .header("user-agent", "DocSpot-Webhooks/1")
            .header("x-docspot-event", &d.event_kind)
            .header("x-docspot-delivery", d.id.to_string())
            .header("x-docspot-signature", signature)
            .body(d.body.clone())
            .send()
            .await;
        let (code, error) = match res {
            Ok(r) if r.status().is_success() => (Some(i32::from(r.status().as_u16())), None),
            Ok(r) => (
                Some(i32::from(r.status().as_u16())),
                Some(format!("The endpoint answered {}.", r.status())),
            ),
            Err(e) => (
                None,
                Some(format!("The endpoint could not be reached: {e}")),
            ),
        };
        let Some(error) = error else {
            webhooks::attempted(c, d.id, Status::Delivered, code, None, now)
                .await
                .map_err(AppError::from)?;
            return Ok(());
        };
        let last = d.attempts + 1 >= Self::RETRY.max_attempts;
        let status = if last {
            Status::Failed
        } else {
            Status::Pending
        };
        webhooks::attempted(c, d.id, status, code, Some(&error), now)
            .await
            .map_err(AppError::from)?;
        if last {
            return Ok(());
        }
        Err(JobError::Delivery(error))
    }
}
