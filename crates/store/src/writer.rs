//! Write transactions, and SQLite's writer with group commit.
//!
//! On SQLite every write transaction of this process runs on one connection of its own, so
//! its page cache stays warm (a connection drops its cache whenever another connection has
//! written since its last transaction). Writers take turns for it, first come first served,
//! before they ask SQLite for its single write lock: waiting in SQLite's busy handler means
//! sleeping and retrying, which is unfair and leaves the lock idle between retries.
//!
//! A commit (an fsync with `synchronous=FULL`) is the largest part of a write turn. So when
//! others are waiting for the turn, a finished transaction does not commit: it hands the
//! open transaction on, and the next writer's work runs in a savepoint inside it. The last
//! of such a group (no one waiting, or [`GROUP_MAX`] reached) commits them all at once, and
//! each is answered only after that commit: nothing is acknowledged before it is durable. A
//! writer that fails rolls back to its savepoint and leaves the others' work in place. If
//! the shared commit fails, every member fails (and retries).

use crate::{StoreError, StoreResult};
use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    ExecResult, QueryResult, RuntimeErr, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait,
};
use std::sync::{
    Arc,
    atomic::{AtomicU64, AtomicUsize, Ordering},
};
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard, watch};

/// How long a writer waits for its turn, as long as SQLite's busy timeout.
const WRITE_WAIT: Duration = Duration::from_secs(10);

/// The most write transactions one commit takes.
const GROUP_MAX: usize = 32;

/// SQLite's writer: its connection, the turn, and how many wait for it.
#[derive(Clone, Debug)]
pub(crate) struct Writer {
    pub(crate) db: DatabaseConnection,
    turn: Arc<Mutex<Group>>,
    waiting: Arc<AtomicUsize>,
    stats: Arc<Counts>,
    /// Whether writers waiting for the turn share a commit (see the module's text).
    pub(crate) grouped: bool,
}

/// Write transactions committed, and the commits that took them.
#[derive(Debug, Default)]
struct Counts {
    transactions: AtomicU64,
    commits: AtomicU64,
}

/// How many write transactions this process has committed, and in how many commits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteStats {
    pub transactions: u64,
    pub commits: u64,
}

/// The transaction finished writers have handed on, not yet committed.
#[derive(Debug, Default)]
struct Group {
    open: Option<Open>,
}

#[derive(Debug)]
struct Open {
    outer: DatabaseTransaction,
    members: usize,
    /// The shared commit's outcome, for the members waiting on it.
    done: watch::Sender<Option<Result<(), String>>>,
}

/// A write transaction (on SQLite, with this process's writer turn, given back when it ends).
pub struct Tx {
    tx: DatabaseTransaction,
    turn: Option<Turn>,
}

/// A writer's turn. Given back with a group still open and no one waiting, it has the
/// group committed, so that no finished writer is left waiting.
struct Turn {
    group: OwnedMutexGuard<Group>,
    writer: Writer,
}

/// Counts a writer waiting for the turn; a writer that gives up waiting has any open group
/// committed (the holder counted on it to carry the group on).
struct Waiting<'a> {
    writer: &'a Writer,
    got: bool,
}

impl Writer {
    pub(crate) fn new(db: DatabaseConnection) -> Self {
        Writer {
            db,
            turn: Arc::new(Mutex::new(Group::default())),
            waiting: Arc::new(AtomicUsize::new(0)),
            stats: Arc::default(),
            grouped: true,
        }
    }

    pub(crate) fn stats(&self) -> WriteStats {
        WriteStats {
            transactions: self.stats.transactions.load(Ordering::Relaxed),
            commits: self.stats.commits.load(Ordering::Relaxed),
        }
    }

    fn counted(&self, transactions: usize) {
        self.stats
            .transactions
            .fetch_add(transactions as u64, Ordering::Relaxed);
        self.stats.commits.fetch_add(1, Ordering::Relaxed);
    }

    fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// Takes the turn and starts a transaction: `BEGIN IMMEDIATE`, or a savepoint in the
    /// group handed on.
    pub(crate) async fn begin(&self) -> StoreResult<Tx> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let mut wait = Waiting {
            writer: self,
            got: false,
        };
        let group = tokio::time::timeout(WRITE_WAIT, self.turn.clone().lock_owned())
            .await
            // Like a pool that has no connection to give: the database is busy (another
            // writer holds it), so callers answer 503 and retry.
            .map_err(|_| StoreError::Db(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)))?;
        wait.got = true;
        drop(wait);
        let turn = Turn {
            group,
            writer: self.clone(),
        };
        let tx = match &turn.group.open {
            Some(open) => open.outer.begin().await?,
            None => begin(&self.db).await?,
        };
        Ok(Tx {
            tx,
            turn: Some(turn),
        })
    }
}

/// `BEGIN IMMEDIATE` on SQLite (writers queue up front instead of failing to upgrade a read
/// lock halfway), `BEGIN` elsewhere.
pub(crate) async fn begin(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        isolation_level: None,
        access_mode: None,
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
    })
    .await
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.writer.waiting.fetch_sub(1, Ordering::SeqCst);
        if !self.got {
            commit_later(self.writer);
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        if self.group.open.is_some() && self.writer.waiting() == 0 {
            commit_later(&self.writer);
        }
    }
}

/// Has the open group committed once the turn is free, by a task of its own.
fn commit_later(writer: &Writer) {
    let writer = writer.clone();
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        rt.spawn(async move {
            let mut group = writer.turn.clone().lock_owned().await;
            let _ = commit_group(&writer, &mut group).await;
        });
    }
}

/// Commits the open group by a task of its own that holds the turn till then, so that a
/// member whose request is dropped meanwhile does not take the others' commit with it.
fn commit_in_task(mut turn: Turn) {
    tokio::spawn(async move {
        let Turn { group, writer } = &mut turn;
        let _ = commit_group(writer, group).await;
    });
}

/// Commits the open group, if any, and tells its members how it went.
async fn commit_group(writer: &Writer, group: &mut Group) -> Result<(), DbErr> {
    let Some(open) = group.open.take() else {
        return Ok(());
    };
    let result = open.outer.commit().await;
    if result.is_ok() {
        writer.counted(open.members);
    }
    open.done.send_replace(Some(
        result.as_ref().map(|_| ()).map_err(ToString::to_string),
    ));
    result
}

impl Tx {
    pub(crate) fn plain(tx: DatabaseTransaction) -> Self {
        Tx { tx, turn: None }
    }

    /// Rolls the transaction back and, on SQLite, has the writers before it that share its
    /// group committed first, so that what the caller reads next sees their work (as it
    /// would had each committed on its own before this one began).
    pub async fn rollback(self) -> StoreResult<()> {
        let Tx { tx, turn } = self;
        drop(tx); // its own work goes back: the transaction, or its savepoint
        if let Some(turn) = turn
            && let Some(open) = &turn.group.open
        {
            let done = open.done.subscribe();
            commit_in_task(turn);
            shared_commit(done).await?;
        }
        Ok(())
    }

    /// Commits the transaction. On SQLite it may be committed together with the writers
    /// waiting after it; either way it has been committed when this returns `Ok`.
    pub async fn commit(self) -> Result<(), DbErr> {
        let Tx { tx, turn } = self;
        let Some(mut turn) = turn else {
            return tx.commit().await;
        };
        let waiting = match turn.writer.grouped {
            true => turn.writer.waiting(),
            false => 0,
        };
        let done = match turn.group.open.as_mut() {
            // The first of a group: its transaction is the outer one.
            None if waiting == 0 => {
                tx.commit().await?;
                turn.writer.counted(1);
                return Ok(());
            }
            None => {
                let (done, rx) = watch::channel(None);
                turn.group.open = Some(Open {
                    outer: tx,
                    members: 1,
                    done,
                });
                rx
            }
            Some(open) => {
                tx.commit().await?; // releases its savepoint
                open.members += 1;
                let done = open.done.subscribe();
                if waiting == 0 || open.members >= GROUP_MAX {
                    commit_in_task(turn);
                    return shared_commit(done).await;
                }
                done
            }
        };
        drop(turn);
        shared_commit(done).await
    }
}

/// Waits for the group's commit.
async fn shared_commit(mut done: watch::Receiver<Option<Result<(), String>>>) -> Result<(), DbErr> {
    let failed = |why: String| DbErr::Conn(RuntimeErr::Internal(format!("group commit: {why}")));
    let outcome = done
        .wait_for(Option::is_some)
        .await
        .map_err(|_| failed("abandoned".into()))?
        .clone();
    match outcome {
        Some(Ok(())) => Ok(()),
        Some(Err(why)) => Err(failed(why)),
        None => Err(failed("abandoned".into())),
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Tx {
    fn get_database_backend(&self) -> DbBackend {
        self.tx.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.tx.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.tx.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.tx.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.tx.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.tx.support_returning()
    }
}
