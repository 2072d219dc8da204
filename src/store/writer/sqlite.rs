//! The writer's round on SQLite: one query, `BEGIN IMMEDIATE; …;
//! COMMIT`, its statement text fixed (prepared once per connection) and
//! each part's rows bound as one JSON array.

use std::sync::OnceLock;

use super::super::Result;
use super::super::batch::Backend;
use super::Failure;
use super::round::{Answers, Applied, PARTS, Part, Round, answers_of, confirmed};

/// The SQLite round: every part in one query between `BEGIN IMMEDIATE`
/// and `COMMIT`, a part without rows given an empty array.
fn sqlite_round_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let mut sql = String::from("BEGIN IMMEDIATE;");
        for part in PARTS.iter().filter(|&&p| p != Part::Lock) {
            sql.push_str(&part.sql(Backend::Sqlite));
            sql.push(';');
        }
        sql.push_str("COMMIT");
        sql
    })
}

/// Runs `round` (whose statements' rows are `rows`) on `conn`, the
/// writer pool's connection.
pub(super) async fn apply(
    conn: &mut sqlx::pool::PoolConnection<sqlx::Sqlite>,
    round: &Round<'_>,
    rows: &[(Part, String)],
) -> std::result::Result<Applied, Failure> {
    // The statements between the round's `BEGIN` and `COMMIT`.
    let parts: Vec<Part> = rows.iter().map(|(part, _)| *part).collect();
    // One query: the whole round costs one trip to SQLite's connection
    // thread, and one prepared statement.
    let mut query = sqlx::query(sqlite_round_sql());
    for (_, json) in rows {
        query = query.bind(json);
    }
    let answers = match sqlite_round(conn, query, &parts).await {
        Ok(answers) => answers,
        Err(error) => {
            // A failed statement leaves the transaction open; a connection
            // that cannot even roll back is replaced.
            let lost = sqlx::query("ROLLBACK").execute(&mut **conn).await.is_err();
            if lost {
                conn.close_on_drop();
            }
            return Err(Failure { error, lost });
        }
    };
    // Committed: rows present now are rows that went in. The round must
    // not fail from here on (a retry would apply it again), so rows that
    // cannot be confirmed count as not written: a device code is then
    // retried under a new user code.
    let codes = confirmed(&mut **conn, &round.codes, answers.codes_changed).await;
    let audits = confirmed(&mut **conn, &round.audits, answers.audits_changed).await;
    Ok(Applied {
        answers,
        codes,
        audits,
    })
}

/// Runs a round's query on SQLite; `parts` name its statements after the
/// leading `BEGIN`, each answering once when done.
async fn sqlite_round<'q>(
    conn: &mut sqlx::SqliteConnection,
    query: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    parts: &[Part],
) -> Result<Answers> {
    // Several statements in one query: deprecated by sqlx because only its
    // SQLite driver runs them, which is the one this runs on (sqlx 0.8,
    // pinned); it saves a round trip to the connection's thread per
    // statement.
    #[allow(deprecated)]
    let results = query.fetch_many(conn);
    answers_of(results, parts).await
}
