//! `billing.visit_charge`: the billing subscriber's work for one appointment event: a
//! booking deposit, settling it at a cancellation, or a late-cancellation or no-show fee
//! (see `app::visit_charges`).

use super::{Job, JobCtx, JobError};
use crate::app::{
    scope::SystemActor,
    visit_charges::{self, Charge},
};
use domain::AppointmentId;

/// One charge for one appointment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VisitCharge {
    pub appointment: AppointmentId,
    pub charge: Charge,
}

impl Job for VisitCharge {
    const KIND: &'static str = "billing.visit_charge";

    async fn run(&self, ctx: &JobCtx<'_>) -> Result<(), JobError> {
        // A job whose clinic is gone has nobody to bill.
        let Some(caller) = ctx.caller(Self::KIND).await? else {
            return Ok(());
        };
        let run = SystemActor::Job(Self::KIND).ctx(ctx.id);
        visit_charges::apply(ctx.state, &run, &caller, self.appointment, self.charge).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::VisitCharge;
    use crate::app::visit_charges::{Charge, FeeKind};

    #[test]
    fn the_payload_keeps_the_stored_shape() {
        let stored = serde_json::json!({
            "appointment": "0193a0c4-5d2e-7c3a-9b1e-2f4d6a8c0e12",
            "charge": {"do": "fee", "kind": "no_show", "amount": 30000},
        });
        let job: VisitCharge = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(
            job.charge,
            Charge::Fee {
                kind: FeeKind::NoShow,
                amount: 30000
            }
        );
        assert_eq!(serde_json::to_value(&job).unwrap(), stored);
    }
}
