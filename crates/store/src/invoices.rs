//! Invoice and credit-note numbers: one sequence per clinic, series and financial year,
//! drawn in the issuing transaction from the clinic's counters, so numbers are consecutive,
//! never reused, and a failed issue takes its number back with it.

use crate::{StoreResult, patients::next_counter};
use domain::ClinicId;
use jiff::civil::Date;

/// A numbering series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    Invoice,
    CreditNote,
}

impl Series {
    fn as_str(self) -> &'static str {
        match self {
            Series::Invoice => "invoice",
            Series::CreditNote => "credit_note",
        }
    }
}

/// The next number (1, 2, 3, …) of `series` in the financial year starting `year_start`,
/// in the caller's transaction.
pub async fn next_number<C: sea_orm::ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    series: Series,
    year_start: Date,
) -> StoreResult<u32> {
    let n = next_counter(c, clinic, &format!("{}:{year_start}", series.as_str())).await?;
    u32::try_from(n).map_err(|_| crate::StoreError::Corrupt(format!("invoice counter {n}")))
}
