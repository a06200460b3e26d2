//! Reading bills: one bill (the billing desk, or its own patient once issued), the clinic's
//! list, and a patient's bills from every clinic. Reads of one bill and of a patient's list
//! are audited like any record read.

use super::{
    bills::{BillDetail, detail, log},
    policy::Capability,
    scope::Caller,
};
use crate::{
    auth::{CurrentUser, extract::RequestCtx},
    error::AppResult,
    state::AppState,
};
use domain::{BillId, billing::BillStatus};
use serde_json::json;
use store::{
    audit,
    bills::{self, Bill, BillFilter},
};

/// One bill: the billing desk, or its patient once it is issued (anyone else: 404).
/// Audited like any record read.
pub async fn get_bill(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: BillId,
) -> AppResult<BillDetail> {
    let now = state.now();
    let tx = state.store().write().await?;
    let d = detail(&tx, caller, id).await?;
    let own = caller.is_user(d.bill.patient_user_id) && d.bill.status != BillStatus::Draft;
    if !own {
        caller.require(Capability::Billing)?;
    }
    log(&tx, ctx, caller, "bill.read", id, json!({}), now).await?;
    store::commit(tx).await?;
    Ok(d)
}

/// The clinic's bills, newest first (the billing desk).
pub async fn list_bills(
    state: &AppState,
    caller: &Caller,
    filter: &BillFilter,
    limit: u32,
) -> AppResult<Vec<Bill>> {
    caller.require(Capability::Billing)?;
    Ok(bills::list(
        state.store().conn(),
        caller.clinic_id(),
        filter,
        limit.clamp(1, 200),
    )
    .await?)
}

/// The signed-in patient's issued bills from every clinic, newest first (audited).
pub async fn my_bills(
    state: &AppState,
    ctx: &RequestCtx,
    me: &CurrentUser,
) -> AppResult<Vec<Bill>> {
    let now = state.now();
    let tx = state.store().write().await?;
    let list = bills::of_user(&tx, me.id(), 200).await?;
    audit::append(
        &tx,
        &ctx.actor(Some(me.id())),
        audit::Event::new("bill.list", "user", me.id()).detail(json!({"count": list.len()})),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(list)
}
