//! The writer's round on PostgreSQL: one simple query, `BEGIN; …;
//! COMMIT`, each part's rows written into its statement as a literal, on
//! a connection the writer keeps between rounds.

use std::sync::OnceLock;

use super::super::Result;
use super::super::batch::Backend;
use super::Failure;
use super::round::{Answers, Applied, PARTS, Part, Round, answers_of, confirmed};

/// Each PostgreSQL part's statement.
fn postgres_sql(part: Part) -> &'static str {
    static SQL: OnceLock<Vec<String>> = OnceLock::new();
    let all = SQL.get_or_init(|| PARTS.iter().map(|p| p.sql(Backend::Postgres)).collect());
    all.get(part as usize)
        .map(String::as_str)
        .unwrap_or_default()
}

/// Runs `round` (whose statements' rows are `rows`) on the writer's
/// connection `held`, taken from `pool` when there is none.
pub(super) async fn apply(
    pool: &sqlx::PgPool,
    held: &mut Option<sqlx::pool::PoolConnection<sqlx::Postgres>>,
    round: &Round<'_>,
    rows: &[(Part, String)],
) -> std::result::Result<Applied, Failure> {
    // The statements between the round's `BEGIN` and `COMMIT`.
    let parts: Vec<Part> = rows.iter().map(|(part, _)| *part).collect();
    if held.is_none() {
        *held = Some(pool.acquire().await?);
    }
    let Some(conn) = held.as_mut() else {
        return Err(super::super::Error::Batch("no writer connection".into()).into());
    };
    let answers = match postgres_round(conn, rows, &parts).await {
        Ok(answers) => answers,
        Err(error) => {
            // A failed statement leaves the transaction open; the
            // connection is replaced for the next round anyway. When even
            // the rollback fails, the connection is dead (a restarted or
            // terminated backend) and the round may have committed.
            let lost = sqlx::query("ROLLBACK").execute(&mut **conn).await.is_err();
            if lost {
                conn.close_on_drop();
            }
            *held = None;
            return Err(Failure { error, lost });
        }
    };
    // Committed: as on SQLite, the round must not fail from here on.
    let codes = confirmed(&mut **conn, &round.codes, answers.codes_changed).await;
    let audits = confirmed(&mut **conn, &round.audits, answers.audits_changed).await;
    Ok(Applied {
        answers,
        codes,
        audits,
    })
}

/// Runs a round on PostgreSQL as one simple query, `BEGIN; …; COMMIT`,
/// each part's rows written into its statement as a string literal: one
/// trip to the server per round instead of two per statement, and each
/// statement planned for its own rows (a plan cached while a table was
/// nearly empty — a sequential scan — could otherwise stay in use after a
/// burst of inserts until the next ANALYZE). Bound parameters would need
/// the extended protocol, a statement at a time.
async fn postgres_round(
    conn: &mut sqlx::PgConnection,
    rows: &[(Part, String)],
    parts: &[Part],
) -> Result<Answers> {
    let mut sql = String::from("BEGIN;");
    for (part, json) in rows {
        sql.push_str(&postgres_sql(*part).replace("$1", &escape_literal(json)));
        sql.push(';');
    }
    sql.push_str("COMMIT");
    // Deprecated by sqlx together with multi-statement queries; a simple
    // query is what runs several statements on PostgreSQL (sqlx 0.8,
    // pinned).
    #[allow(deprecated)]
    let results = sqlx::raw_sql(&sql).fetch_many(conn);
    answers_of(results, parts).await
}

/// `text` as a PostgreSQL escape-string constant (`E'…'`), whose meaning
/// does not depend on `standard_conforming_strings`: inside it only a
/// backslash and a quote are special, and both are doubled. (The rows are
/// JSON from serde_json, which never contains a NUL.)
fn escape_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str("E'");
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("''"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn literals_double_quotes_and_backslashes_only() {
        assert_eq!(super::escape_literal(r#"a'b\c"$1;"#), r#"E'a''b\\c"$1;'"#);
    }
}
