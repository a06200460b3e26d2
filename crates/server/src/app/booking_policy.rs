//! The clinic's booking rules: notice, horizon, cancel cutoff, daily cap, approval.

use super::Fields;
use crate::app::{policy::Capability, scope::Caller};
use crate::{auth::extract::RequestCtx, error::AppResult, state::AppState};
use domain::ClinicId;
use store::{
    audit,
    schedules::{self, Policy},
};

/// The clinic's booking rules as typed in.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyInput {
    /// Minutes of notice a booking needs (0–43,200).
    #[schema(minimum = 0, maximum = 43200)]
    pub min_notice_min: i32,
    /// How many days ahead patients may book (1–365).
    #[schema(minimum = 1, maximum = 365)]
    pub horizon_days: i32,
    /// Patients may cancel or move up to this many minutes before the start (0–10,080).
    #[schema(minimum = 0, maximum = 10080)]
    pub cancel_cutoff_min: i32,
    /// At most this many appointments per doctor per day (1–500); omitted means no cap.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 500)]
    pub daily_cap: Option<i32>,
    /// Online bookings wait for staff approval.
    #[serde(default)]
    pub require_approval: bool,
}

impl From<Policy> for PolicyInput {
    fn from(p: Policy) -> Self {
        PolicyInput {
            min_notice_min: p.min_notice_min,
            horizon_days: p.horizon_days,
            cancel_cutoff_min: p.cancel_cutoff_min,
            daily_cap: p.daily_cap,
            require_approval: p.require_approval,
        }
    }
}

/// Sets the clinic's booking policy (clinic admins).
pub async fn set_booking_policy(
    state: &AppState,
    ctx: &RequestCtx,
    scope: &Caller,
    input: &PolicyInput,
) -> AppResult<Policy> {
    scope.require(Capability::ClinicSettings)?;
    let mut f = Fields::default();
    if !(0..=43_200).contains(&input.min_notice_min) {
        f.push(
            "min_notice_min",
            "Notice must be 0 to 43,200 minutes (30 days).",
        );
    }
    if !(1..=365).contains(&input.horizon_days) {
        f.push("horizon_days", "The horizon must be 1 to 365 days.");
    }
    if !(0..=10_080).contains(&input.cancel_cutoff_min) {
        f.push(
            "cancel_cutoff_min",
            "The cutoff must be 0 to 10,080 minutes (7 days).",
        );
    }
    if input.min_notice_min < input.cancel_cutoff_min {
        f.push(
            "min_notice_min",
            format!(
                "The notice must be at least the cancel cutoff ({} minutes): otherwise a patient \
                 could book a time that they can no longer change or cancel.",
                input.cancel_cutoff_min
            ),
        );
    }
    if input.daily_cap.is_some_and(|c| !(1..=500).contains(&c)) {
        f.push(
            "daily_cap",
            "The daily cap must be 1 to 500, or empty for none.",
        );
    }
    f.finish()?;
    let p = Policy {
        min_notice_min: input.min_notice_min,
        horizon_days: input.horizon_days,
        cancel_cutoff_min: input.cancel_cutoff_min,
        daily_cap: input.daily_cap,
        require_approval: input.require_approval,
    };
    let now = state.now();
    let tx = state.store().write().await?;
    schedules::set_policy(&tx, scope.clinic_id(), &p, now).await?;
    audit::append(
        &tx,
        &scope.actor(ctx),
        audit::Event::new("policy.set", "clinic", scope.clinic_id())
            .in_clinic(scope.clinic_id())
            .detail(serde_json::to_value(p).unwrap_or_default()),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(p)
}

/// The clinic's booking policy (public: patients see notice and cutoff).
pub async fn get_booking_policy(state: &AppState, clinic: ClinicId) -> AppResult<Policy> {
    Ok(schedules::policy(state.store().conn(), clinic).await?)
}
