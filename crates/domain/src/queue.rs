//! The walk-in and check-in queue: token priorities and statuses, the order in which a
//! doctor calls tokens, and wait estimates from the doctor's recent consultations.

use crate::{DomainError, wire::labelled_enum};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

labelled_enum!(
    /// Why a token may be seen before others who came earlier.
    Priority, field = "priority" {
        /// No priority.
        Normal => "normal", "Normal",
        /// Aged 60 or over.
        Elderly => "elderly", "Elderly (60+)",
        /// Pregnant.
        Pregnant => "pregnant", "Pregnant",
        /// Living with a disability.
        Disabled => "disabled", "Disability",
        /// A young child.
        Child => "child", "Young child",
        /// Needs to be seen at once; goes ahead of everyone.
        Emergency => "emergency", "Emergency",
    }
);

impl Priority {
    /// The calling tier: 0 for emergencies, 1 for the other priorities, 2 for normal.
    pub fn tier(self) -> u8 {
        match self {
            Priority::Emergency => 0,
            Priority::Normal => 2,
            _ => 1,
        }
    }
}

labelled_enum!(
    /// Where a queue token is in its day.
    TokenStatus, field = "status" {
        /// In the queue, not yet called.
        Waiting => "waiting", "Waiting",
        /// Called to the doctor's room.
        Called => "called", "Called",
        /// With the doctor now.
        InConsultation => "in_consultation", "In consultation",
        /// Seen.
        Done => "done", "Done",
        /// Called but did not come; can be put back in the queue.
        Skipped => "skipped", "Skipped",
        /// Moved to another doctor's queue under a new token.
        Transferred => "transferred", "Transferred",
    }
);

/// Something the desk or the doctor does to a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenMove {
    /// Call a waiting token to the room.
    Call,
    /// Call an already called token again.
    Recall,
    /// Pass over a token whose patient is not here.
    Skip,
    /// Put a skipped token back in the queue.
    Requeue,
    /// Start the consultation.
    Start,
    /// Finish the consultation.
    End,
    /// Close the token here so the caller can issue one in another doctor's queue.
    Transfer,
}

impl TokenMove {
    /// Every move.
    pub const ALL: &'static [TokenMove] = &[
        TokenMove::Call,
        TokenMove::Recall,
        TokenMove::Skip,
        TokenMove::Requeue,
        TokenMove::Start,
        TokenMove::End,
        TokenMove::Transfer,
    ];

    /// The move's name in URLs and audit actions (`queue.recall`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            TokenMove::Call => "call",
            TokenMove::Recall => "recall",
            TokenMove::Skip => "skip",
            TokenMove::Requeue => "requeue",
            TokenMove::Start => "start",
            TokenMove::End => "end",
            TokenMove::Transfer => "transfer",
        }
    }
}

impl std::str::FromStr for TokenMove {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TokenMove::ALL
            .iter()
            .copied()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| DomainError::field("action", "is not a queue action"))
    }
}

impl TokenStatus {
    /// The status after `mv`, or a field `status` error saying why the move is not possible.
    pub fn apply(self, mv: TokenMove) -> Result<TokenStatus, DomainError> {
        use TokenMove as M;
        use TokenStatus as S;
        match (self, mv) {
            (S::Waiting, M::Call) | (S::Called, M::Recall) => Ok(S::Called),
            (S::Waiting | S::Called, M::Skip) => Ok(S::Skipped),
            (S::Skipped, M::Requeue) => Ok(S::Waiting),
            (S::Waiting | S::Called, M::Start) => Ok(S::InConsultation),
            (S::InConsultation, M::End) => Ok(S::Done),
            (S::Waiting | S::Called | S::Skipped, M::Transfer) => Ok(S::Transferred),
            _ => Err(DomainError::field("status", refusal(self, mv))),
        }
    }

    /// Whether nothing more can happen to the token.
    pub fn is_closed(self) -> bool {
        matches!(self, TokenStatus::Done | TokenStatus::Transferred)
    }
}

fn refusal(status: TokenStatus, mv: TokenMove) -> &'static str {
    use TokenMove as M;
    use TokenStatus as S;
    match (status, mv) {
        (S::Done, _) => "This token is already done.",
        (S::Transferred, _) => "This token has been transferred to another doctor's queue.",
        (S::InConsultation, M::Transfer) => {
            "This patient is already in consultation; end the consultation before transferring."
        }
        (S::InConsultation, _) => "This patient is already in consultation.",
        (S::Waiting, M::Recall) => "This token is still waiting and has not been called yet.",
        (S::Waiting, M::Requeue) => "This token is already waiting in the queue.",
        (S::Waiting, _) => "This token is still waiting; the consultation has not started.",
        (S::Called, M::Call) => "This token has already been called; use recall to call it again.",
        (S::Called, M::Requeue) => "This token has been called and is still in the queue.",
        (S::Called, _) => "This token has been called but the consultation has not started.",
        (S::Skipped, M::Skip) => "This token has already been skipped.",
        (S::Skipped, M::End) => "This token was skipped; there is no consultation to end.",
        (S::Skipped, _) => "This token was skipped; put it back in the queue first.",
    }
}

/// How late a booked patient may check in and still be called at their booked time.
pub const LATE_GRACE: SignedDuration = SignedDuration::from_mins(10);

/// A token waiting to be called, as `call_order` sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiting {
    /// The token number shown to the patient.
    pub number: u32,
    /// When the patient checked in or took the token.
    pub arrived_at: Timestamp,
    /// The booked slot's start, for a booked patient who checked in.
    pub slot_start: Option<Timestamp>,
    /// The token's priority.
    pub priority: Priority,
    /// When a skipped token was put back in the queue.
    pub requeued_at: Option<Timestamp>,
}

impl Waiting {
    /// The instant this token queues by within its tier (see [`call_order`]).
    pub fn queue_key(&self) -> Timestamp {
        if let Some(requeued) = self.requeued_at {
            return requeued;
        }
        match self.slot_start {
            Some(slot)
                if slot
                    .checked_add(LATE_GRACE)
                    .is_ok_and(|d| self.arrived_at <= d) =>
            {
                slot
            }
            _ => self.arrived_at,
        }
    }

    fn rank(&self) -> (u8, Timestamp, u32) {
        (self.priority.tier(), self.queue_key(), self.number)
    }
}

/// The order in which the doctor should call the waiting tokens, as indices into `waiting`.
///
/// Each token gets a queue time:
/// - a token put back after being skipped queues from the moment it was put back;
/// - a booked patient who checked in no later than 10 minutes after their slot start
///   queues from the slot start, so a patient who comes early waits for their time, and
///   walk-ins who arrived before that time are called first;
/// - a booked patient who checked in more than 10 minutes late queues from their arrival,
///   like a walk-in;
/// - a walk-in queues from their arrival.
///
/// Emergencies are called first, then the other priorities (elderly, pregnant, disability,
/// young child), then everyone else. Within each group tokens go by queue time, then by
/// token number, then by position in `waiting`.
pub fn call_order(waiting: &[Waiting]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..waiting.len()).collect();
    order.sort_by_key(|&i| (waiting[i].rank(), i));
    order
}

/// How many patients will be seen before `me`, not counting anyone with the doctor now.
///
/// That is everyone in `queue` that [`call_order`] puts before `me` (`me` may itself be in
/// `queue`), plus, when `me` has no priority, each booked patient who has not checked in
/// yet (`expected` holds their slot starts) whose slot starts before `me`'s queue time and
/// who can still arrive on time at `now`: if they come, they will be called first.
pub fn patients_ahead(
    me: &Waiting,
    queue: &[Waiting],
    expected: &[Timestamp],
    now: Timestamp,
) -> usize {
    let mine = me.rank();
    let in_queue = queue.iter().filter(|w| w.rank() < mine).count();
    let coming = if me.priority == Priority::Normal {
        let key = me.queue_key();
        expected
            .iter()
            .filter(|&&slot| {
                slot < key && slot.checked_add(LATE_GRACE).is_ok_and(|late| now <= late)
            })
            .count()
    } else {
        0
    };
    in_queue + coming
}

/// Consultation lengths that describe a doctor's pace: quartiles of recent consultations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsultStats {
    /// A short consultation (25th percentile).
    pub low: SignedDuration,
    /// A typical consultation (median).
    pub typical: SignedDuration,
    /// A long consultation (75th percentile).
    pub high: SignedDuration,
    /// How many recorded consultations the figures come from; 0 means the defaults.
    pub samples: usize,
}

impl ConsultStats {
    /// What is assumed for a doctor without a usual visit length: 5, 10 and 15 min.
    pub const DEFAULT: ConsultStats = ConsultStats {
        low: SignedDuration::from_mins(5),
        typical: SignedDuration::from_mins(10),
        high: SignedDuration::from_mins(15),
        samples: 0,
    };

    /// What is assumed for a doctor whose usual visit lasts `visit` (the length of their
    /// shortest visit type), until enough consultations are recorded: half, all and one and
    /// a half of it. A 10-minute visit gives [`ConsultStats::DEFAULT`].
    pub fn assumed(visit: SignedDuration) -> ConsultStats {
        let visit = visit.clamp(SHORTEST_CONSULT, LONGEST_CONSULT);
        ConsultStats {
            low: visit / 2,
            typical: visit,
            high: visit * 3 / 2,
            samples: 0,
        }
    }
}

/// The most recent usable consultations `consult_stats` looks at.
pub const STATS_WINDOW: usize = 20;
/// Fewer usable consultations than this and `consult_stats` uses the defaults.
pub const STATS_MIN_SAMPLES: usize = 3;
/// Consultations shorter than this are treated as mistakes and ignored.
pub const SHORTEST_CONSULT: SignedDuration = SignedDuration::from_mins(1);
/// Consultations longer than this are treated as mistakes and ignored.
pub const LONGEST_CONSULT: SignedDuration = SignedDuration::from_hours(3);

/// The doctor's pace from `recent` consultation lengths, oldest first.
///
/// Lengths under 1 minute or over 3 hours are ignored; of the rest, the last 20 are used.
/// With fewer than 3 left, `assumed` is returned (see [`ConsultStats::assumed`]). Percentiles use the
/// nearest-rank method: with the `n` lengths sorted ascending, the p-th percentile is the
/// one at 1-based rank `ceil(p × n / 100)`. So the median of an even count is the lower of
/// the two middle lengths.
pub fn consult_stats(recent: &[SignedDuration], assumed: ConsultStats) -> ConsultStats {
    let mut usable: Vec<SignedDuration> = recent
        .iter()
        .copied()
        .filter(|d| (SHORTEST_CONSULT..=LONGEST_CONSULT).contains(d))
        .collect();
    let mut usable = usable.split_off(usable.len().saturating_sub(STATS_WINDOW));
    if usable.len() < STATS_MIN_SAMPLES {
        return assumed;
    }
    usable.sort_unstable();
    ConsultStats {
        low: nearest_rank(&usable, 25),
        typical: nearest_rank(&usable, 50),
        high: nearest_rank(&usable, 75),
        samples: usable.len(),
    }
}

fn nearest_rank(sorted: &[SignedDuration], percent: usize) -> SignedDuration {
    let rank = (percent * sorted.len())
        .div_ceil(100)
        .clamp(1, sorted.len());
    sorted[rank - 1]
}

/// A predicted wait, in whole minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitRange {
    /// The shortest likely wait.
    pub min_minutes: u32,
    /// The longest likely wait.
    pub max_minutes: u32,
}

impl WaitRange {
    /// The range in words: "no wait", "under 5 minutes", "up to 12 minutes" or
    /// "about 10–25 minutes".
    pub fn label(&self) -> String {
        match (self.min_minutes, self.max_minutes) {
            (_, 0) => "no wait".to_owned(),
            (_, 1..=5) => "under 5 minutes".to_owned(),
            (0, max) => format!("up to {max} minutes"),
            (min, max) if min == max => format!("about {min} minutes"),
            (min, max) => format!("about {min}–{max} minutes"),
        }
    }
}

/// What a running consultation is assumed to still need once it has overrun the long case.
pub const OVERRUN_ALLOWANCE: SignedDuration = SignedDuration::from_mins(2);

/// The wait for a patient with `ahead` patients to be seen first, not counting the one
/// with the doctor now; `current_elapsed` is how long that consultation has run, if any.
///
/// The shortest wait is `ahead × low` plus what remains of a short consultation
/// (`low − elapsed`, at least 0); the longest is `ahead × high` plus what remains of a long
/// one (`high − elapsed`, but at least 2 minutes, so an overrunning consultation still
/// shows some wait). The shortest is rounded down and the longest up to whole minutes; the
/// longest is at least 1 minute whenever anyone is ahead or with the doctor. With nobody
/// ahead and nobody with the doctor, the wait is 0.
pub fn estimate_wait(
    ahead: usize,
    current_elapsed: Option<SignedDuration>,
    stats: &ConsultStats,
) -> WaitRange {
    const MINUTE: i128 = 60_000_000_000;
    let low = stats.low.as_nanos().max(0);
    let high = stats.high.as_nanos().max(low);
    let ahead_n = i128::try_from(ahead).unwrap_or(i128::MAX);
    let (current_min, current_max) = match current_elapsed {
        None => (0, 0),
        Some(elapsed) => {
            let elapsed = elapsed.as_nanos().max(0);
            (
                (low - elapsed).max(0),
                (high - elapsed).max(OVERRUN_ALLOWANCE.as_nanos()),
            )
        }
    };
    let min = ahead_n.saturating_mul(low).saturating_add(current_min);
    let max = ahead_n.saturating_mul(high).saturating_add(current_max);
    let to_u32 = |n: i128| u32::try_from(n).unwrap_or(u32::MAX);
    let min_minutes = to_u32(min / MINUTE);
    let mut max_minutes = to_u32(max / MINUTE + i128::from(max % MINUTE != 0)).max(min_minutes);
    if ahead > 0 || current_elapsed.is_some() {
        max_minutes = max_minutes.max(1);
    }
    WaitRange {
        min_minutes,
        max_minutes,
    }
}
