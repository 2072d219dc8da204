//! What the server's log says, and what it must not: the rows of a slow
//! database round (user codes, addresses, user agents, usernames).

use std::io::{Read, Write};
use std::time::Duration;

use crate::binary::start_server;
use crate::support::WriteLock;

/// A form POST on a connection of its own; the whole response.
fn post(addr: &str, path: &str, body: &str, user_agent: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: {user_agent}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    out
}

/// A writer round held up for 1.5 s is logged as slow — at WARN, with its
/// size and duration — and nothing of its rows reaches the log (on
/// PostgreSQL the round's statements carry the rows as literals, so the
/// database driver's own slow-statement line would hold them all).
#[tokio::test]
async fn a_slow_writer_round_is_logged_without_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (server, db) = start_server(dir.path(), &[]).await;
    let url = match &db {
        Some(db) => db.url.clone(),
        None => format!("sqlite://{}", dir.path().join("authgate.db").display()),
    };
    let client_id = server
        .before
        .iter()
        .find_map(|line| line["client_id"].as_str())
        .expect("the CLI client's id is logged")
        .to_owned();
    let marker = format!("device-{}", uuid::Uuid::new_v4().simple());
    let addr = server.addr.clone();
    let agent = marker.clone();
    let lock = WriteLock::take(&url).await;
    let request = tokio::task::spawn_blocking(move || {
        post(
            &addr,
            "/oauth/device/code",
            &format!("client_id={client_id}"),
            &agent,
        )
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    lock.release().await;
    let answer = request.await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    let log = server.stop().await;
    let leaked: Vec<&String> = log.iter().filter(|l| l.contains(&marker)).collect();
    assert!(leaked.is_empty(), "rows in the log: {leaked:#?}");
    let slow: Vec<serde_json::Value> = log
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["message"] == "slow writer round")
        .collect();
    assert_eq!(slow.len(), 1, "{log:#?}");
    assert_eq!(slow[0]["level"], "WARN");
    assert!(slow[0]["jobs"].as_u64() >= Some(1), "{}", slow[0]);
    assert!(slow[0]["millis"].as_u64() >= Some(1000), "{}", slow[0]);
}
