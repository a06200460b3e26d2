//! The cash drawer and the day's takings. A receptionist opens their drawer with a float;
//! the payments they take while it is open count towards it; at close they enter what they
//! counted per method and the close-out shows expected against counted and the variance.
//! The collection report sums what the clinic took, per doctor and per method.

use super::{local_time::zone_of, policy::Capability, scope::Caller};
use crate::{
    auth::extract::RequestCtx,
    error::{AppError, AppResult},
    state::AppState,
};
use domain::{CashSessionId, billing::PaymentMethod, values::bounded_text};
use jiff::civil::Date;
use serde_json::json;
use store::{
    StoreError, audit,
    cash::{self, CashSession, Collected, Counted},
};

/// The most a float or a count may be, in minor units (ten million in the major unit).
const MAX_COUNT: i64 = 1_000_000_000;

/// A session with what it should hold.
#[derive(Debug, Clone)]
pub struct CloseOut {
    pub session: CashSession,
    /// Per method: (method, expected, counted once closed).
    pub lines: Vec<(PaymentMethod, i64, Option<i64>)>,
}

impl CloseOut {
    /// Counted minus expected, per method, once closed.
    pub fn variance(&self, m: PaymentMethod) -> Option<i64> {
        self.lines
            .iter()
            .find(|l| l.0 == m)
            .and_then(|(_, e, c)| c.map(|c| c - e))
    }
}

fn amount(field: &'static str, v: i64) -> AppResult<i64> {
    if (0..=MAX_COUNT).contains(&v) {
        Ok(v)
    } else {
        Err(AppError::field(field, "Enter an amount from zero up."))
    }
}

/// `session` with what it should hold (the report's sessions, already read).
pub async fn close_out<C: store::Conn>(c: &C, session: CashSession) -> AppResult<CloseOut> {
    let taken = cash::takings(c, session.id).await?;
    let took = |m| {
        taken
            .iter()
            .find(|(t, _)| *t == m)
            .map(|(_, a)| *a)
            .unwrap_or(0)
    };
    let lines = vec![
        (
            PaymentMethod::Cash,
            session.opening_float + took(PaymentMethod::Cash),
            session.counted_cash,
        ),
        (
            PaymentMethod::Card,
            took(PaymentMethod::Card),
            session.counted_card,
        ),
        (
            PaymentMethod::Upi,
            took(PaymentMethod::Upi),
            session.counted_upi,
        ),
    ];
    Ok(CloseOut { session, lines })
}

/// The caller's open drawer with what it should hold, if one is open.
pub async fn my_drawer(state: &AppState, caller: &Caller) -> AppResult<Option<CloseOut>> {
    caller.require(Capability::Billing)?;
    let c = state.store().conn();
    let me = caller.person()?.id();
    let Some(id) = cash::open_session_of(c, caller.clinic_id(), me).await? else {
        return Ok(None);
    };
    let s = cash::find(c, caller.clinic_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Some(close_out(c, s).await?))
}

/// Opens the caller's drawer with `float` (audited); one already open is 409.
pub async fn open_drawer(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    float: i64,
) -> AppResult<CloseOut> {
    caller.require(Capability::Billing)?;
    let me = caller.person()?.id();
    let float = amount("opening_float_minor", float)?;
    let now = state.now();
    let id = CashSessionId::new();
    let tx = state.store().write().await?;
    match cash::open(&tx, id, caller.clinic_id(), me, float, now).await {
        Err(StoreError::Conflict(_)) => {
            return Err(AppError::Conflict(
                "Your cash drawer is already open; close it first.".into(),
            ));
        }
        other => other?,
    }
    audit::append(
        &tx,
        &caller.actor(ctx),
        audit::Event::new("cash.open", "cash_session", id)
            .in_clinic(caller.clinic_id())
            .detail(json!({"float": float})),
        now,
    )
    .await?;
    let s = cash::find(&tx, caller.clinic_id(), id)
        .await?
        .ok_or_else(|| AppError::Internal("cash session vanished".into()))?;
    let out = close_out(&tx, s).await?;
    store::commit(tx).await?;
    Ok(out)
}

/// Closes a drawer with what was counted (its own receptionist, or an admin; audited with
/// the variance).
pub async fn close_drawer(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: CashSessionId,
    counted: Counted,
    note: &str,
) -> AppResult<CloseOut> {
    caller.require(Capability::Billing)?;
    let counted = Counted {
        cash: amount("counted_cash_minor", counted.cash)?,
        card: amount("counted_card_minor", counted.card)?,
        upi: amount("counted_upi_minor", counted.upi)?,
    };
    let note = bounded_text("note", note, 300, false)?;
    let now = state.now();
    let tx = state.store().write().await?;
    let s = cash::find(&tx, caller.clinic_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !caller.is_user(Some(s.user_id)) && !caller.can(Capability::CorrectBills) {
        return Err(AppError::Forbidden(
            "Only its receptionist or an admin can close this drawer.".into(),
        ));
    }
    if !cash::close(&tx, caller.clinic_id(), id, counted, &note, now).await? {
        return Err(AppError::Conflict("This drawer is closed already.".into()));
    }
    let s = cash::find(&tx, caller.clinic_id(), id)
        .await?
        .ok_or_else(|| AppError::Internal("cash session vanished".into()))?;
    let out = close_out(&tx, s).await?;
    let variance: serde_json::Map<String, serde_json::Value> = out
        .lines
        .iter()
        .map(|(m, e, c)| {
            (
                m.as_str().to_owned(),
                json!({"expected": e, "counted": c, "variance": c.map(|c| c - e)}),
            )
        })
        .collect();
    audit::append(
        &tx,
        &caller.actor(ctx),
        audit::Event::new("cash.close", "cash_session", id)
            .in_clinic(caller.clinic_id())
            .detail(json!({"lines": variance, "note": note})),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(out)
}

/// One drawer session with its close-out (the billing desk).
pub async fn drawer(state: &AppState, caller: &Caller, id: CashSessionId) -> AppResult<CloseOut> {
    caller.require(Capability::Billing)?;
    let c = state.store().conn();
    let s = cash::find(c, caller.clinic_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    close_out(c, s).await
}

/// What the clinic took over local dates `from..=to` (at most 92 days).
#[derive(Debug, Clone)]
pub struct Collection {
    pub from: Date,
    pub to: Date,
    pub cells: Vec<Collected>,
    pub sessions: Vec<CashSession>,
    /// What was taken each local day of the range that took anything.
    pub by_day: Vec<(Date, i64)>,
}

impl Collection {
    /// The total of one method.
    pub fn by_method(&self, m: PaymentMethod) -> i64 {
        self.cells
            .iter()
            .filter(|c| c.method == m)
            .map(|c| c.amount)
            .sum()
    }

    /// Everything taken.
    pub fn total(&self) -> i64 {
        self.cells.iter().map(|c| c.amount).sum()
    }

    /// Per doctor (in the report's order): name and total.
    pub fn by_doctor(&self) -> Vec<(String, i64)> {
        let mut out: Vec<(String, i64)> = Vec::new();
        for c in &self.cells {
            let name = c
                .doctor_name
                .clone()
                .unwrap_or_else(|| "No doctor".to_owned());
            match out.iter_mut().find(|(n, _)| *n == name) {
                Some((_, a)) => *a += c.amount,
                None => out.push((name, c.amount)),
            }
        }
        out
    }

    /// The report as CSV: one row per doctor and method, then the totals per method.
    pub fn csv(&self) -> String {
        let mut out = String::from("doctor,method,payments,amount_minor\n");
        let field = |s: &str| {
            let s = s.replace('"', "\"\"");
            // A leading formula character would run in a spreadsheet.
            if s.starts_with(['=', '+', '-', '@']) {
                format!("\"'{s}\"")
            } else {
                format!("\"{s}\"")
            }
        };
        for c in &self.cells {
            out.push_str(&format!(
                "{},{},{},{}\n",
                field(c.doctor_name.as_deref().unwrap_or("No doctor")),
                c.method.as_str(),
                c.payments,
                c.amount
            ));
        }
        for m in [
            PaymentMethod::Cash,
            PaymentMethod::Card,
            PaymentMethod::Upi,
            PaymentMethod::Online,
        ] {
            out.push_str(&format!(
                "\"All doctors\",{},,{}\n",
                m.as_str(),
                self.by_method(m)
            ));
        }
        out
    }
}

/// The collection report over the clinic's local dates `from..=to` (the billing desk).
pub async fn collection(
    state: &AppState,
    caller: &Caller,
    from: Date,
    to: Date,
) -> AppResult<Collection> {
    caller.require(Capability::Billing)?;
    if to < from || (to - from).get_days() > 92 {
        return Err(AppError::field(
            "to",
            "Choose a range of up to 92 days, ending on or after its start.",
        ));
    }
    let zone = zone_of(caller.clinic());
    let start = |d: Date| {
        d.to_zoned(zone.clone())
            .map(|z| z.timestamp())
            .map_err(|_| AppError::field("from", "is outside the calendar"))
    };
    let next = to
        .tomorrow()
        .map_err(|_| AppError::field("to", "is outside the calendar"))?;
    let (a, b) = (start(from)?, start(next)?);
    let c = state.store().conn();
    let mut by_day: Vec<(Date, i64)> = Vec::new();
    for (t, amount) in cash::takings_between(c, caller.clinic_id(), a, b).await? {
        let day = t.to_zoned(zone.clone()).date();
        match by_day.last_mut() {
            Some((d, total)) if *d == day => *total += amount,
            _ => by_day.push((day, amount)),
        }
    }
    Ok(Collection {
        from,
        to,
        cells: cash::collected(c, caller.clinic_id(), a, b).await?,
        sessions: cash::list(c, caller.clinic_id(), a, b).await?,
        by_day,
    })
}
