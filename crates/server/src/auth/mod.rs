//! Authentication: passwords, tokens, cookies, the identity middleware and role extractors.

pub mod cookies;
pub mod extract;
pub mod identity;
pub mod password;
pub mod rate_limit;
pub mod totp;

pub use extract::{ClinicScope, CurrentUser, PlatformAdmin, RequestCtx};
