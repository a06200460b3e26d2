//! `appointment.reminder`: 24 h and 2 h before a booked appointment, e-mails the patient a
//! reminder with a fresh cancel link; nothing once the appointment no longer stands.

use super::{Job, JobCtx, JobError};
use crate::app::notices;
use domain::AppointmentId;

/// A reminder of one appointment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reminder {
    pub appointment: AppointmentId,
    /// Which one, `24h` or `2h`: part of its dedupe key, for whoever reads the row.
    #[serde(default)]
    pub which: String,
}

impl Job for Reminder {
    const KIND: &'static str = "appointment.reminder";

    async fn run(&self, ctx: &JobCtx<'_>) -> Result<(), JobError> {
        // Reminders are enqueued with their clinic; one whose clinic is gone has nobody to
        // remind.
        let Some(caller) = ctx.caller(Self::KIND).await? else {
            return Ok(());
        };
        if let Some(email) = notices::reminder(ctx.state, &caller, self.appointment).await? {
            ctx.send_mail(&email).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Reminder;

    #[test]
    fn the_payload_keeps_the_stored_shape() {
        let stored = serde_json::json!({
            "appointment": "0193a0c4-5d2e-7c3a-9b1e-2f4d6a8c0e12",
            "which": "24h",
        });
        let job: Reminder = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(
            job.appointment.to_string(),
            "0193a0c4-5d2e-7c3a-9b1e-2f4d6a8c0e12"
        );
        assert_eq!(serde_json::to_value(&job).unwrap(), stored);
    }

    #[test]
    fn a_payload_without_an_appointment_is_refused() {
        assert!(serde_json::from_value::<Reminder>(serde_json::json!({"which": "2h"})).is_err());
    }
}
