//! What every test's app checks when it ends: it removes its data folder, and fails the
//! test if a job was left stuck (claimed, and never completed nor failed).

use crate::helpers::TestApp;

impl Drop for TestApp {
    /// The app that owns the database also owns the data folder (outbox, documents), and
    /// fails the test if it leaves a job stuck: claimed, and never completed nor failed.
    fn drop(&mut self) {
        if self._db.is_none() {
            return;
        }
        let stuck = if std::thread::panicking() {
            Vec::new() // the test has failed already; say nothing more
        } else {
            stuck_jobs_at(&self.db_url)
        };
        let _ = std::fs::remove_dir_all(&self.data_dir);
        assert!(
            stuck.is_empty(),
            "{}: the test left jobs stuck (claimed, never completed nor failed): {stuck:?}",
            self.backend
        );
    }
}

/// The stuck jobs of the database at `url`, as `kind id`. `Drop` cannot await the app's own
/// pool (the runtime that drives it is the one dropping), so this connects afresh from a
/// thread with its own runtime.
fn stuck_jobs_at(url: &str) -> Vec<String> {
    let url = url.to_owned();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let store = store::Store::connect(&store::DbConfig {
                url,
                max_connections: 1,
            })
            .await
            .expect("reconnect to check for stuck jobs");
            let stuck = stuck_jobs(&store).await;
            let _ = store.close().await;
            stuck
        })
    })
    .join()
    .expect("the stuck-job check")
}

/// Jobs claimed and never completed nor failed, as `kind id`. Used where no worker still
/// runs, so every held lease counts (jobs merely queued for later do not).
pub(crate) async fn stuck_jobs(store: &store::Store) -> Vec<String> {
    store::jobs::stuck(store.conn(), jiff::Timestamp::MAX)
        .await
        .unwrap()
        .iter()
        .map(|j| format!("{} {}", j.kind, j.id))
        .collect()
}
