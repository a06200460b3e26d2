//! The one map from stored kinds to their jobs. A kind missing here is not guessed at: the
//! worker reports it and fails the row.

use super::{
    Job, JobCtx, JobError, RetryPolicy,
    email::SendEmail,
    password_reset::PasswordReset,
    push::{PushDevice, PushNotify},
    reminder::Reminder,
    sms::{SendSms, SendWhatsapp},
    visit_charge::VisitCharge,
    webhook::DeliverWebhook,
};
use futures_util::future::BoxFuture;

/// Decodes a stored payload as its job and runs it.
type RunStored =
    for<'a> fn(&'a JobCtx<'a>, serde_json::Value) -> BoxFuture<'a, Result<(), JobError>>;

/// One kind of job, as the worker sees it.
#[derive(Clone, Copy)]
pub(super) struct Entry {
    pub kind: &'static str,
    pub retry: RetryPolicy,
    pub run: RunStored,
}

const fn entry<J: Job>() -> Entry {
    Entry {
        kind: J::KIND,
        retry: J::RETRY,
        run: run_stored::<J>,
    }
}

/// Every job the worker runs. A new kind of job is added here.
const ENTRIES: &[Entry] = &[
    entry::<SendEmail>(),
    entry::<Reminder>(),
    entry::<PasswordReset>(),
    entry::<VisitCharge>(),
    entry::<SendSms>(),
    entry::<SendWhatsapp>(),
    entry::<DeliverWebhook>(),
    entry::<PushNotify>(),
    entry::<PushDevice>(),
];

fn run_stored<'a, J: Job>(
    ctx: &'a JobCtx<'a>,
    payload: serde_json::Value,
) -> BoxFuture<'a, Result<(), JobError>> {
    Box::pin(async move {
        let job: J = serde_json::from_value(payload).map_err(|e| JobError::Payload {
            kind: J::KIND,
            reason: e.to_string(),
        })?;
        job.run(ctx).await
    })
}

/// The job stored as `kind`, if there is one.
pub(super) fn find(kind: &str) -> Option<&'static Entry> {
    ENTRIES.iter().find(|e| e.kind == kind)
}

/// Every kind the worker runs.
pub fn kinds() -> impl Iterator<Item = &'static str> {
    ENTRIES.iter().map(|e| e.kind)
}

#[cfg(test)]
mod tests {
    use super::{find, kinds};

    #[test]
    fn stored_kinds_stay_what_existing_rows_hold() {
        let mut all: Vec<_> = kinds().collect();
        all.sort_unstable();
        assert_eq!(
            all,
            [
                "account.password_reset",
                "appointment.reminder",
                "billing.visit_charge",
                "email",
                "push.device",
                "push.notify",
                "sms",
                "webhook.deliver",
                "whatsapp"
            ]
        );
    }

    #[test]
    fn an_unknown_kind_has_no_job() {
        assert!(find("fax.send").is_none());
        assert!(find("email").is_some());
    }
}
