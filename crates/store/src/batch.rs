//! Statements sent together, in one round trip. On SQLite in one call to the connection
//! (sqlx runs `;`-separated statements in one hand-off to the connection's thread), which
//! matters in the write turn: there each call is a round trip between threads that every
//! writer queued behind waits for. On PostgreSQL as one statement: the writes as the parts
//! of a `WITH`, the statement that answers rows as its query; PostgreSQL's cost is per
//! statement. So the statement that answers rows must not read the batch's own writes (on
//! PostgreSQL it sees the database as it was before the batch).

use crate::{StoreError, StoreResult};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};

/// Statements to run together, each with its own `$1…` arguments; at most one of them
/// answers rows (the caller's to read).
#[derive(Debug)]
pub struct Batch {
    backend: DbBackend,
    parts: Vec<Part>,
}

/// The rows a batch's one row-answering statement gave, for the function that added it
/// to read.
#[derive(Debug, Default)]
pub struct Rows(pub(crate) Vec<QueryResult>);

#[derive(Debug)]
struct Part {
    sql: String,
    values: Vec<Value>,
    rows: bool,
}

impl Batch {
    /// An empty batch, for the database `c` talks to.
    pub fn on<C: ConnectionTrait>(c: &C) -> Self {
        Batch {
            backend: c.get_database_backend(),
            parts: Vec::new(),
        }
    }

    /// Adds a statement whose rows are not wanted.
    pub(crate) fn exec(&mut self, sql: impl Into<String>, values: Vec<Value>) {
        self.parts.push(Part {
            sql: sql.into(),
            values,
            rows: false,
        });
    }

    /// Adds the statement whose rows [`Batch::run`] answers. One per batch.
    pub(crate) fn rows(&mut self, sql: impl Into<String>, values: Vec<Value>) {
        debug_assert!(
            !self.parts.iter().any(|p| p.rows),
            "one statement of a batch answers rows"
        );
        self.parts.push(Part {
            sql: sql.into(),
            values,
            rows: true,
        });
    }

    /// Adds `other`'s statements after these.
    pub fn extend(&mut self, other: Batch) {
        debug_assert!(
            !(self.parts.iter().any(|p| p.rows) && other.parts.iter().any(|p| p.rows)),
            "one statement of a batch answers rows"
        );
        self.parts.extend(other.parts);
    }

    /// Runs the statements; the first refusal ends the batch (on SQLite the statements
    /// before it stay written, for the caller's rollback), its error read as a write's: a
    /// constraint's name says which. Answers the rows of the one added by [`Batch::rows`].
    pub async fn run<C: ConnectionTrait>(self, c: &C) -> StoreResult<Rows> {
        if self.parts.is_empty() {
            return Ok(Rows::default());
        }
        let backend = self.backend;
        let (sql, values) = match backend {
            DbBackend::Postgres => self.with(),
            // Statements that answer no rows (writes without RETURNING) add none to the
            // call's, so its rows are the one statement's.
            _ => self.joined(),
        };
        c.query_all_raw(Statement::from_sql_and_values(backend, sql, values))
            .await
            .map(Rows)
            .map_err(StoreError::from_write)
    }

    /// One statement: each write a part of a `WITH` (`b0`, `b1`, …), the statement that
    /// answers rows (or else the last) as its query.
    fn with(mut self) -> (String, Vec<Value>) {
        let main = self
            .parts
            .iter()
            .position(|p| p.rows)
            .unwrap_or(self.parts.len().saturating_sub(1));
        let mut sql = String::new();
        let mut last = String::new();
        let mut values = Vec::new();
        for (i, p) in std::mem::take(&mut self.parts).into_iter().enumerate() {
            let mut text = String::new();
            shifted(&p.sql, values.len(), &mut text);
            values.extend(p.values);
            if i == main {
                last = text;
            } else {
                sql.push_str(if sql.is_empty() { "WITH " } else { ", " });
                sql.push_str(&format!("b{i} AS ({text})"));
            }
        }
        if !sql.is_empty() {
            sql.push(' ');
        }
        sql.push_str(&last);
        (sql, values)
    }

    /// One `;`-separated text, each statement's `$n` moved past the arguments of those
    /// before it.
    fn joined(self) -> (String, Vec<Value>) {
        let mut sql = String::new();
        let mut values = Vec::new();
        for p in self.parts {
            if !sql.is_empty() {
                sql.push_str("; ");
            }
            shifted(&p.sql, values.len(), &mut sql);
            values.extend(p.values);
        }
        (sql, values)
    }
}

/// Appends `sql` to `out` with every `$n` written `$(n + by)`.
fn shifted(sql: &str, by: usize, out: &mut String) {
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        match rest[..digits].parse::<usize>() {
            Ok(n) => out.push_str(&(n + by).to_string()),
            Err(_) => out.push_str(&rest[..digits]),
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{each_db, get, testing::TestDb};

    async fn rows_in(db: &TestDb) -> Vec<i64> {
        let rows = crate::all(db.store.conn(), "SELECT n FROM w ORDER BY n", vec![]).await;
        rows.unwrap().iter().map(|r| get(r, "n").unwrap()).collect()
    }

    each_db!(a_batch_writes_all_answers_its_one_statements_rows_and_stops_at_a_refusal);
    async fn a_batch_writes_all_answers_its_one_statements_rows_and_stops_at_a_refusal(db: TestDb) {
        db.store
            .execute_unprepared("CREATE TABLE w (n BIGINT PRIMARY KEY, v TEXT NOT NULL UNIQUE)")
            .await
            .unwrap();
        db.store
            .execute_unprepared("INSERT INTO w (n, v) VALUES (0, 'zero')")
            .await
            .unwrap();
        let insert = "INSERT INTO w (n, v) VALUES ($1, $2)";
        let tx = db.store.write().await.unwrap();
        let mut b = Batch::on(&tx);
        b.exec(insert, vec![1.into(), "a".into()]);
        b.rows("SELECT v FROM w WHERE n = $1", vec![0.into()]);
        b.exec(insert, vec![2.into(), "b".into()]);
        let rows = b.run(&tx).await.unwrap();
        let read: Vec<String> = rows.0.iter().map(|r| get(r, "v").unwrap()).collect();
        assert_eq!(read, ["zero"]);
        tx.commit().await.unwrap();
        assert_eq!(rows_in(&db).await, [0, 1, 2]);

        let tx = db.store.write().await.unwrap();
        let mut b = Batch::on(&tx);
        b.exec(insert, vec![3.into(), "c".into()]);
        b.exec(insert, vec![4.into(), "a".into()]); // "a" is taken
        b.exec(insert, vec![5.into(), "e".into()]);
        let refused = b.run(&tx).await;
        assert!(
            matches!(&refused, Err(StoreError::Conflict(_))),
            "{refused:?}"
        );
        tx.rollback().await.unwrap();
        assert_eq!(rows_in(&db).await, [0, 1, 2]);

        // An empty batch sends nothing.
        let rows = Batch::on(db.store.conn())
            .run(db.store.conn())
            .await
            .unwrap();
        assert!(rows.0.is_empty());
    }

    #[test]
    fn on_postgresql_the_writes_are_a_with_and_the_rows_statement_its_query() {
        let mut b = Batch {
            backend: DbBackend::Postgres,
            parts: Vec::new(),
        };
        b.exec("INSERT INTO t (a) VALUES ($1)", vec![1.into()]);
        b.rows("SELECT x FROM u WHERE y = $1", vec![2.into()]);
        b.exec(
            "INSERT INTO v (b, c) VALUES ($1, $2)",
            vec![3.into(), 4.into()],
        );
        let (sql, values) = b.with();
        assert_eq!(
            sql,
            "WITH b0 AS (INSERT INTO t (a) VALUES ($1)), b2 AS (INSERT INTO v (b, c) VALUES ($3, $4)) \
             SELECT x FROM u WHERE y = $2"
        );
        assert_eq!(values.len(), 4);
        let mut one = Batch {
            backend: DbBackend::Postgres,
            parts: Vec::new(),
        };
        one.exec("DELETE FROM t WHERE a = $1", vec![1.into()]);
        assert_eq!(one.with().0, "DELETE FROM t WHERE a = $1");
    }

    #[test]
    fn arguments_are_numbered_past_those_of_the_statements_before() {
        let mut b = Batch {
            backend: DbBackend::Sqlite,
            parts: Vec::new(),
        };
        b.exec(
            "INSERT INTO t (a, b) VALUES ($1, $2)",
            vec![1.into(), 2.into()],
        );
        b.exec(
            "UPDATE u SET x = $1 WHERE y = $1 AND z = '$'",
            vec![3.into()],
        );
        b.rows(
            "SELECT json_extract(v, '$.k') FROM w WHERE id = $10",
            vec![],
        );
        let (sql, values) = b.joined();
        assert_eq!(
            sql,
            "INSERT INTO t (a, b) VALUES ($1, $2); UPDATE u SET x = $3 WHERE y = $3 AND z = '$'; \
             SELECT json_extract(v, '$.k') FROM w WHERE id = $13"
        );
        assert_eq!(values.len(), 3);
    }
}
