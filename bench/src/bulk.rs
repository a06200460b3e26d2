//! Multi-row INSERTs for seeding, bound as parameters.

use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use std::fmt::Write as _;

/// At most this many bound parameters per statement (SQLite allows 32766, PostgreSQL 65535).
pub const MAX_PARAMS: usize = 30_000;

/// `INSERT INTO head VALUES ($1, …), (…)` for `rows` rows of `cols` columns. SQLite gets
/// anonymous `?` placeholders: sqlx looks named ones up one by one, which is quadratic in
/// the number of parameters.
fn values_sql(backend: DbBackend, head: &str, cols: usize, rows: usize) -> String {
    let mut s = String::with_capacity(head.len() + rows * cols * 7);
    s.push_str(head);
    s.push_str(" VALUES ");
    let mut p = 1;
    for r in 0..rows {
        s.push_str(if r == 0 { "(" } else { ",(" });
        for c in 0..cols {
            if c > 0 {
                s.push(',');
            }
            if backend == DbBackend::Postgres {
                let _ = write!(s, "${p}");
            } else {
                s.push('?');
            }
            p += 1;
        }
        s.push(')');
    }
    s
}

/// Inserts `values` (row-major, `cols` per row) with as few statements as the parameter
/// limit allows.
pub async fn insert_many<C: ConnectionTrait>(
    c: &C,
    head: &str,
    cols: usize,
    mut values: Vec<Value>,
) -> Result<(), String> {
    let per_stmt = (MAX_PARAMS / cols).max(1) * cols;
    while !values.is_empty() {
        let rest = values.split_off(values.len().min(per_stmt));
        let rows = values.len() / cols;
        let sql = values_sql(c.get_database_backend(), head, cols, rows);
        c.execute_raw(Statement::from_sql_and_values(
            c.get_database_backend(),
            sql,
            std::mem::replace(&mut values, rest),
        ))
        .await
        .map_err(|e| format!("{head}: {e}"))?;
    }
    Ok(())
}
