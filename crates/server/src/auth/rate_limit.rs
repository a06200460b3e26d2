//! Fixed-window attempt counters for login, registration and password reset.
//! Per process: with several instances each enforces its own share.

use std::{collections::HashMap, sync::Mutex};

#[derive(Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

impl RateLimiter {
    /// Counts one attempt for `key`. Err carries the seconds until the window reopens.
    pub fn hit(
        &self,
        key: &str,
        limit: u32,
        window_secs: u64,
        now: jiff::Timestamp,
    ) -> Result<(), u64> {
        let now_s = now.as_second();
        let window = window_secs.max(1) as i64;
        let mut map = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (start, _)| now_s - *start < window);
        }
        let entry = map.entry(key.to_owned()).or_insert((now_s, 0));
        if now_s - entry.0 >= window {
            *entry = (now_s, 0);
        }
        if entry.1 >= limit {
            return Err((entry.0 + window - now_s).max(1) as u64);
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_holds_within_a_window_and_resets_after_it() {
        let rl = RateLimiter::default();
        let t0 = jiff::Timestamp::from_second(1_000_000).unwrap();
        for _ in 0..3 {
            assert!(rl.hit("k", 3, 60, t0).is_ok());
        }
        assert_eq!(rl.hit("k", 3, 60, t0), Err(60));
        assert!(rl.hit("other", 3, 60, t0).is_ok(), "keys are independent");
        let later = jiff::Timestamp::from_second(1_000_060).unwrap();
        assert!(
            rl.hit("k", 3, 60, later).is_ok(),
            "a new window starts fresh"
        );
    }
}
