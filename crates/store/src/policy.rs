//! A clinic's booking policy: horizon, notice, cutoffs, slot length, approval.

use crate::{StoreResult, exec, get, ms, one_as};
use domain::ClinicId;
use sea_orm::ConnectionTrait;

/// A clinic's booking rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Policy {
    pub min_notice_min: i32,
    pub horizon_days: i32,
    pub cancel_cutoff_min: i32,
    pub daily_cap: Option<i32>,
    pub require_approval: bool,
}

impl Policy {
    /// How long before the start patients' changes close.
    pub fn cancel_cutoff(&self) -> jiff::SignedDuration {
        jiff::SignedDuration::from_mins(self.cancel_cutoff_min.into())
    }
}

impl Default for Policy {
    /// Two hours' notice, 60 days ahead, changes up to 2 hours before, no cap, no approval.
    /// The notice is never shorter than the cutoff, so nobody books a time they could not
    /// change (see `app::schedule::set_booking_policy`).
    fn default() -> Self {
        Policy {
            min_notice_min: 120,
            horizon_days: 60,
            cancel_cutoff_min: 120,
            daily_cap: None,
            require_approval: false,
        }
    }
}

/// The clinic's policy, or the default if it never set one.
pub async fn policy<C: ConnectionTrait>(c: &C, clinic: ClinicId) -> StoreResult<Policy> {
    Ok(one_as(
        c,
        "SELECT min_notice_min, horizon_days, cancel_cutoff_min, daily_cap, require_approval \
         FROM booking_policies WHERE clinic_id = $1",
        vec![clinic.as_uuid().into()],
        |r| {
            Ok(Policy {
                min_notice_min: get(r, "min_notice_min")?,
                horizon_days: get(r, "horizon_days")?,
                cancel_cutoff_min: get(r, "cancel_cutoff_min")?,
                daily_cap: get(r, "daily_cap")?,
                require_approval: get(r, "require_approval")?,
            })
        },
    )
    .await?
    .unwrap_or_default())
}

/// Sets the clinic's policy.
pub async fn set_policy<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    p: &Policy,
    now: jiff::Timestamp,
) -> StoreResult<()> {
    exec(
        c,
        "DELETE FROM booking_policies WHERE clinic_id = $1",
        vec![clinic.as_uuid().into()],
    )
    .await?;
    exec(
        c,
        "INSERT INTO booking_policies (clinic_id, min_notice_min, horizon_days, cancel_cutoff_min, daily_cap, require_approval, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            clinic.as_uuid().into(),
            p.min_notice_min.into(),
            p.horizon_days.into(),
            p.cancel_cutoff_min.into(),
            p.daily_cap.into(),
            p.require_approval.into(),
            ms(now).into(),
        ],
    )
    .await?;
    Ok(())
}
