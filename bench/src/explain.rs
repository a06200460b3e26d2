//! What the database makes of the patient search (`--patients`): the plan of the search
//! statement, and the size of the patient tables and their indexes.

use crate::patients::{LIMIT, db};
use domain::{ClinicId, patient::SearchTerms};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::collections::HashMap;
use store::Store;

/// The plan of the search for `q`: `EXPLAIN QUERY PLAN` as an indented tree on SQLite,
/// `EXPLAIN` on PostgreSQL.
pub async fn plan(store: &Store, clinic: ClinicId, q: &str) -> Result<String, String> {
    let terms = SearchTerms::parse(q).map_err(|e| e.to_string())?;
    let (sql, values) = store::patients::search_statement(clinic, &terms, LIMIT);
    let backend = store.backend();
    let explain = if backend == DbBackend::Postgres {
        "EXPLAIN"
    } else {
        "EXPLAIN QUERY PLAN"
    };
    let rows = store
        .conn()
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!("{explain} {sql}"),
            values,
        ))
        .await
        .map_err(db("EXPLAIN"))?;
    let mut lines = Vec::new();
    let mut depth: HashMap<i64, usize> = HashMap::new();
    for r in rows {
        if backend == DbBackend::Postgres {
            lines.push(r.try_get::<String>("", "QUERY PLAN").map_err(db("plan"))?);
        } else {
            let id: i64 = r.try_get("", "id").map_err(db("plan"))?;
            let parent: i64 = r.try_get("", "parent").map_err(db("plan"))?;
            let detail: String = r.try_get("", "detail").map_err(db("plan"))?;
            let d = depth.get(&parent).map_or(0, |d| d + 1);
            depth.insert(id, d);
            lines.push(format!("{}{detail}", "  ".repeat(d)));
        }
    }
    Ok(lines.join("\n"))
}

/// Rows of `(name, n)` from `sql`; none if the query fails (SQLite's `dbstat` table is not
/// in every build).
async fn named_numbers(store: &Store, sql: &str) -> Vec<(String, i64)> {
    let rows = store
        .conn()
        .query_all_raw(Statement::from_string(store.backend(), sql))
        .await
        .unwrap_or_default();
    rows.iter()
        .filter_map(|r| Some((r.try_get("", "name").ok()?, r.try_get("", "n").ok()?)))
        .collect()
}

/// A number from one row of `sql` (column `n`).
pub async fn number(store: &Store, sql: &str) -> Option<i64> {
    let row = store
        .conn()
        .query_one_raw(Statement::from_string(store.backend(), sql))
        .await
        .ok()??;
    row.try_get::<i64>("", "n").ok()
}

/// The size of the database and of the two patient tables and their indexes, in MiB.
pub async fn sizes(store: &Store) -> String {
    let (total, parts) = if store.backend() == DbBackend::Postgres {
        (
            "SELECT 'database' AS name, pg_database_size(current_database()) AS n",
            "SELECT c.relname::text AS name, pg_relation_size(c.oid) AS n FROM pg_class c \
             WHERE c.oid IN ('patients'::regclass, 'patient_words'::regclass) \
             OR c.oid IN (SELECT indexrelid FROM pg_index \
             WHERE indrelid IN ('patients'::regclass, 'patient_words'::regclass)) \
             ORDER BY c.relname",
        )
    } else {
        (
            "SELECT 'database' AS name, page_count * page_size AS n \
             FROM pragma_page_count(), pragma_page_size()",
            "SELECT name, SUM(pgsize) AS n FROM dbstat WHERE name IN \
             (SELECT name FROM sqlite_schema WHERE tbl_name IN ('patients', 'patient_words')) \
             GROUP BY name ORDER BY name",
        )
    };
    let mut all = named_numbers(store, total).await;
    all.extend(named_numbers(store, parts).await);
    all.iter()
        .map(|(name, n)| format!("{name} {:.1}", *n as f64 / 1_048_576.0))
        .collect::<Vec<_>>()
        .join(", ")
}
