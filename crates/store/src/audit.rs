//! The tamper-evident audit log, kept as hash chains: `hash = SHA-256(prev_hash | fields…)`.
//! Each clinic (and the platform) has [`SHARDS`] chains, so that writers of one clinic do
//! not all take turns on one head row; a request's events all go to one of them, chosen by
//! its request id. The database refuses UPDATE and DELETE on the table; `verify` walks
//! every chain and finds rows altered or removed behind its back.

use crate::{Batch, StoreError, StoreResult, all, all_as, get, ms, one, ts};
use domain::{ClinicId, UserId};
use sea_orm::{ConnectionTrait, QueryResult};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The chain of events outside any clinic.
pub const PLATFORM_CHAIN: &str = "platform";
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who did it, from where, as part of which request.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user: Option<UserId>,
    pub request_id: String,
    pub ip: String,
}

/// One thing that happened.
pub struct Event<'a> {
    pub clinic: Option<ClinicId>,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: String,
    pub detail: serde_json::Value,
}

impl<'a> Event<'a> {
    /// `action` on the target `target_type`/`target_id`, outside any clinic, with no detail.
    pub fn new(action: &'a str, target_type: &'a str, target_id: impl ToString) -> Self {
        Event {
            clinic: None,
            action,
            target_type,
            target_id: target_id.to_string(),
            detail: serde_json::json!({}),
        }
    }

    /// The event belongs to `clinic`'s chain.
    pub fn in_clinic(mut self, clinic: ClinicId) -> Self {
        self.clinic = Some(clinic);
        self
    }

    /// Extra facts about the event.
    pub fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }
}

/// An event as stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Stored {
    pub id: Uuid,
    pub chain: String,
    pub seq: i64,
    pub at: jiff::Timestamp,
    pub actor_user_id: Option<Uuid>,
    pub clinic_id: Option<Uuid>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub request_id: String,
    pub ip: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// How many chains each clinic (and the platform) spreads its events over. Chain 0 is named
/// after the clinic (or `platform`) alone, as the only chain was before there were more;
/// chain `n` is `<clinic>/<n>`.
pub const SHARDS: u64 = 16;

/// The chain an event of `clinic` written as part of request `request_id` goes to. Every
/// event of one request (one transaction) lands on the same chain, so a transaction holds at
/// most one head row per clinic and two of them cannot wait on each other's heads in a circle.
fn chain_of(clinic: Option<ClinicId>, request_id: &str) -> String {
    let base = clinic.map_or_else(|| PLATFORM_CHAIN.to_owned(), |c| c.to_string());
    // FNV-1a: stable across processes and releases, unlike std's hasher.
    let hash = request_id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    match hash % SHARDS {
        0 => base,
        n => format!("{base}/{n}"),
    }
}

fn digest(e: &Stored) -> String {
    let opt = |u: &Option<Uuid>| u.map(|u| u.to_string()).unwrap_or_default();
    let mut h = Sha256::new();
    for part in [
        e.prev_hash.as_str(),
        &e.id.to_string(),
        &e.chain,
        &e.seq.to_string(),
        &e.at.as_millisecond().to_string(),
        &opt(&e.actor_user_id),
        &opt(&e.clinic_id),
        &e.action,
        &e.target_type,
        &e.target_id,
        &e.request_id,
        &e.ip,
        &e.detail,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Appends an event inside the caller's transaction. Writers of one chain serialise on its
/// head row, so the chain never forks. Two statements: the head's number and hash, then the
/// event, whose insert moves the head's hash to its own (a trigger, `audit_events_head`).
pub async fn append<C: ConnectionTrait>(
    c: &C,
    actor: &Actor,
    ev: Event<'_>,
    now: jiff::Timestamp,
) -> StoreResult<()> {
    let mut b = Batch::on(c);
    append_into(c, &mut b, actor, ev, now).await?;
    b.run(c).await?;
    Ok(())
}

/// Takes the chain's head now (the first of [`append`]'s statements) and adds the event's
/// insert to `b`, to run in the same transaction.
pub async fn append_into<C: ConnectionTrait>(
    c: &C,
    b: &mut Batch,
    actor: &Actor,
    ev: Event<'_>,
    now: jiff::Timestamp,
) -> StoreResult<()> {
    let request_id: String = actor.request_id.chars().take(100).collect();
    let chain = chain_of(ev.clinic, &request_id);
    // Take the next number and the head hash in one statement; the row stays locked until
    // commit. Create the head row on first use; a concurrent creator makes that an update.
    let head = match one(
        c,
        "UPDATE audit_chains SET seq = seq + 1 WHERE chain = $1 RETURNING seq, head_hash",
        vec![chain.clone().into()],
    )
    .await?
    {
        Some(head) => head,
        None => one(
            c,
            "INSERT INTO audit_chains (chain, seq, head_hash) VALUES ($1, 1, $2) ON CONFLICT (chain) \
             DO UPDATE SET seq = audit_chains.seq + 1 RETURNING seq, head_hash",
            vec![chain.clone().into(), GENESIS.into()],
        )
        .await?
        .ok_or_else(|| StoreError::Corrupt("audit chain head missing".into()))?,
    };
    let mut e = Stored {
        id: Uuid::now_v7(),
        chain,
        seq: get(&head, "seq")?,
        at: now,
        actor_user_id: actor.user.map(|u| u.as_uuid()),
        clinic_id: ev.clinic.map(|c| c.as_uuid()),
        action: ev.action.to_owned(),
        target_type: ev.target_type.to_owned(),
        target_id: ev.target_id,
        request_id,
        ip: actor.ip.chars().take(64).collect(),
        detail: ev.detail.to_string(),
        prev_hash: get(&head, "head_hash")?,
        hash: String::new(),
    };
    e.hash = digest(&e);
    b.exec(
        "INSERT INTO audit_events (id, chain, seq, at, actor_user_id, clinic_id, action, target_type, target_id, \
         request_id, ip, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        vec![
            e.id.into(),
            e.chain.into(),
            e.seq.into(),
            ms(e.at).into(),
            e.actor_user_id.into(),
            e.clinic_id.into(),
            e.action.into(),
            e.target_type.into(),
            e.target_id.into(),
            e.request_id.into(),
            e.ip.into(),
            e.detail.into(),
            e.prev_hash.into(),
            e.hash.into(),
        ],
    );
    Ok(())
}

const COLS: &str = "id, chain, seq, at, actor_user_id, clinic_id, action, target_type, target_id, request_id, ip, detail, prev_hash, hash";

fn row(r: &QueryResult) -> StoreResult<Stored> {
    Ok(Stored {
        id: get(r, "id")?,
        chain: get(r, "chain")?,
        seq: get(r, "seq")?,
        at: ts(get(r, "at")?)?,
        actor_user_id: get(r, "actor_user_id")?,
        clinic_id: get(r, "clinic_id")?,
        action: get(r, "action")?,
        target_type: get(r, "target_type")?,
        target_id: get(r, "target_id")?,
        request_id: get(r, "request_id")?,
        ip: get(r, "ip")?,
        detail: get(r, "detail")?,
        prev_hash: get(r, "prev_hash")?,
        hash: get(r, "hash")?,
    })
}

/// The most recent events of a clinic (or the platform when `clinic` is None), over all its
/// chains, newest first.
pub async fn recent<C: ConnectionTrait>(
    c: &C,
    clinic: Option<ClinicId>,
    limit: u64,
) -> StoreResult<Vec<Stored>> {
    let (filter, mut values): (&str, Vec<sea_orm::Value>) = match clinic {
        Some(clinic) => ("clinic_id = $1", vec![clinic.as_uuid().into()]),
        None => ("clinic_id IS NULL", vec![]),
    };
    values.push((limit as i64).into());
    let sql = format!(
        "SELECT {COLS} FROM audit_events WHERE {filter} ORDER BY at DESC, id DESC LIMIT ${}",
        values.len()
    );
    all_as(c, &sql, values, row).await
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every chain checks out; carries the number of events checked.
    Intact(u64),
    /// The first place where a chain breaks.
    Broken {
        chain: String,
        seq: i64,
        event_id: Option<Uuid>,
        reason: String,
    },
}

/// Recomputes every chain from its first event and compares it with the stored head.
pub async fn verify<C: ConnectionTrait>(c: &C) -> StoreResult<Verdict> {
    let chains = all(
        c,
        "SELECT chain, seq, head_hash FROM audit_chains ORDER BY chain",
        vec![],
    )
    .await?;
    let mut checked = 0u64;
    for head in &chains {
        let chain: String = get(head, "chain")?;
        let head_seq: i64 = get(head, "seq")?;
        let head_hash: String = get(head, "head_hash")?;
        let mut prev = GENESIS.to_owned();
        let mut expected_seq = 1i64;
        let mut after = 0i64;
        loop {
            let page = all(
                c,
                &format!("SELECT {COLS} FROM audit_events WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT 1000"),
                vec![chain.clone().into(), after.into()],
            )
            .await?;
            if page.is_empty() {
                break;
            }
            for r in &page {
                let e = row(r)?;
                let broken = |reason: &str| Verdict::Broken {
                    chain: chain.clone(),
                    seq: e.seq,
                    event_id: Some(e.id),
                    reason: reason.to_owned(),
                };
                if e.seq != expected_seq {
                    return Ok(Verdict::Broken {
                        chain: chain.clone(),
                        seq: expected_seq,
                        event_id: None,
                        reason: format!(
                            "event {expected_seq} is missing (next present is {})",
                            e.seq
                        ),
                    });
                }
                if e.prev_hash != prev {
                    return Ok(broken(
                        "its previous-hash does not match the event before it",
                    ));
                }
                if digest(&e) != e.hash {
                    return Ok(broken("its contents do not match its hash (altered)"));
                }
                prev = e.hash.clone();
                expected_seq += 1;
                after = e.seq;
                checked += 1;
            }
        }
        if expected_seq - 1 != head_seq || prev != head_hash {
            return Ok(Verdict::Broken {
                chain: chain.clone(),
                seq: expected_seq,
                event_id: None,
                reason: format!(
                    "the chain ends at event {} but {head_seq} were written (removed)",
                    expected_seq - 1
                ),
            });
        }
    }
    Ok(Verdict::Intact(checked))
}
