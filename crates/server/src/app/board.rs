//! The waiting-room board: each doctor's current and next tokens, with initials only.

use super::{local_time::date_of, queue::arrange};
use crate::{error::AppResult, state::AppState};
use domain::queue::TokenStatus;
use store::{clinics::Clinic, queue::Token};

/// How many waiting tokens the board shows per doctor.
pub const NEXT_SHOWN: usize = 5;

/// A token as the board shows it: never a name, only initials.
pub struct BoardToken {
    pub number: i32,
    pub initials: String,
    /// "Please go in" (called) or "With the doctor".
    pub note: &'static str,
}

/// One doctor's column.
pub struct BoardDoctor {
    pub name: String,
    pub now: Vec<BoardToken>,
    pub next: Vec<BoardToken>,
    /// Everyone waiting, including those not shown.
    pub waiting: usize,
}

/// "Kavya Nair" → "K. N."; "Ünal" → "Ü.".
pub fn initials(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    let pick = match words.as_slice() {
        [] => Vec::new(),
        [one] => vec![*one],
        [first, .., last] => vec![*first, *last],
    };
    pick.iter()
        .filter_map(|w| w.chars().next())
        .map(|c| format!("{}.", c.to_uppercase()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn shown(t: &Token) -> BoardToken {
    BoardToken {
        number: t.number,
        initials: initials(&t.patient_name),
        note: match t.status {
            TokenStatus::Called => "Please go in",
            _ => "With the doctor",
        },
    }
}

/// Today's board of `clinic` (public: token numbers and initials only, so unaudited).
pub async fn board(state: &AppState, clinic: &Clinic) -> AppResult<Vec<BoardDoctor>> {
    let date = date_of(clinic, state.now()).to_string();
    let tokens = store::queue::day(state.store().conn(), clinic.id, &date, None).await?;
    Ok(arrange(tokens)
        .into_iter()
        .map(|q| BoardDoctor {
            now: q.current.iter().map(shown).collect(),
            next: q.waiting.iter().take(NEXT_SHOWN).map(shown).collect(),
            waiting: q.waiting.len(),
            name: q.doctor_name,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::initials;

    #[test]
    fn the_board_shows_initials_only() {
        assert_eq!(initials("Kavya Nair"), "K. N.");
        assert_eq!(initials("kavya s nair"), "K. N.");
        assert_eq!(initials("Ünal"), "Ü.");
        assert_eq!(initials("  "), "");
    }
}
