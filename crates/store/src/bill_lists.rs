//! Lists of bills: a clinic's, filtered for the billing desk, and a patient's own from
//! every clinic. Lines are not read; one bill is read whole with `bills::find`.

use crate::{
    StoreResult, all_as,
    bills::{BILL_SELECT, Bill, bill_row},
    ms,
};
use domain::{ClinicId, PatientId, UserId, billing::BillStatus};
use jiff::Timestamp;
use sea_orm::{ConnectionTrait, Value};

/// Which bills a list shows.
#[derive(Debug, Clone, Default)]
pub struct BillFilter {
    pub patient: Option<PatientId>,
    pub status: Option<BillStatus>,
    /// Created at or after.
    pub from: Option<Timestamp>,
    /// Created before.
    pub to: Option<Timestamp>,
    /// Only bills with something still due.
    pub unpaid: bool,
}

/// Bills of `clinic` (without their lines), newest first, at most `limit`.
pub async fn list<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    f: &BillFilter,
    limit: u32,
) -> StoreResult<Vec<Bill>> {
    let mut sql = format!("{BILL_SELECT} WHERE b.clinic_id = $1");
    let mut values: Vec<Value> = vec![clinic.as_uuid().into()];
    let mut and = |cond: &str, v: Value| {
        values.push(v);
        sql.push_str(&format!(" AND {cond} ${}", values.len()));
    };
    if let Some(p) = f.patient {
        and("b.patient_id =", p.as_uuid().into());
    }
    if let Some(s) = f.status {
        and("b.status =", s.as_str().into());
    }
    if let Some(t) = f.from {
        and("b.created_at >=", ms(t).into());
    }
    if let Some(t) = f.to {
        and("b.created_at <", ms(t).into());
    }
    if f.unpaid {
        sql.push_str(" AND b.status IN ('issued', 'partly_paid')");
    }
    sql.push_str(&format!(" ORDER BY b.created_at DESC LIMIT {limit}"));
    all_as(c, &sql, values, bill_row).await
}

/// Bills of every clinic whose patient record is linked to `user`, issued ones only,
/// newest first.
pub async fn of_user<C: ConnectionTrait>(
    c: &C,
    user: UserId,
    limit: u32,
) -> StoreResult<Vec<Bill>> {
    all_as(
        c,
        &format!(
            "{BILL_SELECT} WHERE p.user_id = $1 AND b.status <> 'draft' \
             ORDER BY b.created_at DESC LIMIT {limit}"
        ),
        vec![user.as_uuid().into()],
        bill_row,
    )
    .await
}
