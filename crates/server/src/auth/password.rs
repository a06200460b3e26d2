//! Argon2id hashing, off the async threads, on threads of its own.

use crate::error::{AppError, AppResult};
use argon2::{
    Algorithm, Argon2, Block, Params, PasswordHash, Version,
    password_hash::{
        self,
        phc::{Output, ParamsString, Salt},
    },
};
use domain::password::NewPassword;
use std::{
    cell::RefCell,
    sync::{Arc, Mutex, OnceLock, mpsc},
};

type Job = Box<dyn FnOnce() + Send>;

/// The queue of a few long-lived threads that do all Argon2 work, one per core. Each hash
/// takes 19 MiB. On tokio's blocking pool every thread that ever hashed kept its 19 MiB in
/// its own allocator arena, so a burst of sign-ups left hundreds of MiB resident; these
/// threads reuse theirs. A burst queues here. `None` if no thread could be started.
fn hashers() -> Option<&'static mpsc::Sender<Job>> {
    static QUEUE: OnceLock<Option<mpsc::Sender<Job>>> = OnceLock::new();
    QUEUE
        .get_or_init(|| {
            let (tx, rx) = mpsc::channel::<Job>();
            let rx = Arc::new(Mutex::new(rx));
            let mut started = 0;
            for i in 0..std::thread::available_parallelism().map_or(2, |n| n.get()) {
                let rx = rx.clone();
                let thread = std::thread::Builder::new().name(format!("argon2-{i}"));
                if thread.spawn(move || run_jobs(&rx)).is_ok() {
                    started += 1;
                }
            }
            (started > 0).then_some(tx)
        })
        .as_ref()
}

/// A hashing thread: runs jobs until the queue is gone.
fn run_jobs(rx: &Mutex<mpsc::Receiver<Job>>) {
    loop {
        let next = match rx.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = next else { return };
        // A panicking hash fails its own request, not the thread.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
    }
}

/// Runs Argon2 work on the hashing threads (or, failing those, the blocking pool). `None`
/// if it panicked.
async fn on_hashing_pool<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(f());
    });
    match hashers() {
        Some(queue) => queue.send(job).ok()?,
        None => tokio::task::spawn_blocking(job).await.ok()?,
    }
    rx.await.ok()
}

/// Hashes a policy-checked password (Argon2id, default parameters, random salt).
pub async fn hash(pw: &NewPassword) -> AppResult<String> {
    let raw = pw.expose().to_owned();
    on_hashing_pool(move || {
        argon2id(raw.as_bytes()).map_err(|e| AppError::Internal(format!("hash password: {e}")))
    })
    .await
    .unwrap_or_else(|| Err(AppError::Internal("hash password: task failed".into())))
}

thread_local! {
    /// Argon2's working memory (19 MiB with the default parameters), kept by each hashing
    /// thread for its next hash instead of taken from and given back to the allocator.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Runs `argon` with `params` over this thread's working memory, writing the tag to `out`.
fn compute(
    argon: &Argon2,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    MEMORY.with_borrow_mut(|memory| {
        let blocks = params.block_count();
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        argon.hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
    })
}

/// A PHC string of `password` under Argon2id v0x13 with the default parameters and a
/// random salt: what `argon2`'s own `hash_password` writes.
fn argon2id(password: &[u8]) -> Result<String, String> {
    let params = Params::default();
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let salt = Salt::new(&password_hash::generate_salt()).map_err(|e| e.to_string())?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    compute(&argon, &params, password, salt.as_ref(), &mut out).map_err(|e| e.to_string())?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| e.to_string())?,
        salt: Some(salt),
        hash: Some(Output::new(&out).map_err(|e| e.to_string())?),
    };
    Ok(hash.to_string())
}

/// Whether `password` gives the tag of the PHC string `phc`, under its own algorithm,
/// version and parameters; the tags are compared in constant time.
fn matches(password: &[u8], phc: &str) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(version), Ok(params)) = (
        Algorithm::try_from(hash.algorithm.as_str()),
        hash.version
            .map_or(Ok(Version::default()), Version::try_from),
        Params::try_from(&hash),
    ) else {
        return false;
    };
    let argon = Argon2::new(algorithm, version, params.clone());
    let mut out = [0u8; Output::MAX_LENGTH];
    let Some(out) = out.get_mut(..expected.len()) else {
        return false;
    };
    compute(&argon, &params, password, salt.as_ref(), out).is_ok()
        && Output::new(out).is_ok_and(|computed| computed == *expected)
}

/// A hash of a random password nobody knows, so unknown accounts cost the same time to check.
fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| argon2id(store::new_token().as_bytes()).unwrap_or_default())
}

/// Whether `raw` matches `hash`. With no hash, spends the same time and returns false.
pub async fn verify(raw: &str, hash: Option<&str>) -> bool {
    if raw.len() > 4 * domain::password::MAX_LEN {
        return false;
    }
    let raw = raw.to_owned();
    let hash = hash.map(str::to_owned);
    on_hashing_pool(move || {
        // The decoy is made on first use, here too: it is a hash like any other.
        let real = hash.is_some();
        let hash: &str = hash.as_deref().unwrap_or_else(|| decoy());
        matches(raw.as_bytes(), hash) && real
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::{argon2id, matches};
    use argon2::{Argon2, PasswordHasher, PasswordVerifier};

    #[test]
    fn hashes_verify_both_ways_with_the_argon2_crates_own_functions() {
        let ours = argon2id(b"correct horse").unwrap();
        assert!(
            ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{ours}"
        );
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", ours.as_str())
                .is_ok()
        );
        assert!(matches(b"correct horse", &ours));
        assert!(!matches(b"correct horsf", &ours));
        assert_ne!(
            ours,
            argon2id(b"correct horse").unwrap(),
            "a fresh salt each time"
        );

        let theirs = Argon2::default()
            .hash_password(b"battery staple")
            .unwrap()
            .to_string();
        assert!(matches(b"battery staple", &theirs));
        assert!(!matches(b"battery stapler", &theirs));
        // Older or stronger parameters in a stored hash are honoured.
        let light = Argon2::new(
            argon2::Algorithm::Argon2i,
            argon2::Version::V0x10,
            argon2::Params::new(8, 1, 1, Some(16)).unwrap(),
        )
        .hash_password(b"pw")
        .unwrap()
        .to_string();
        assert!(matches(b"pw", &light) && !matches(b"px", &light), "{light}");
        for bad in ["", "$argon2id$v=19$m=19456,t=2,p=1$", "plain text"] {
            assert!(!matches(b"pw", bad), "{bad:?}");
        }
    }
}
