//! Connections themselves: a client that sends its headers too slowly is
//! dropped (HEADER_READ_TIMEOUT), at most MAX_CONNECTIONS are open at once,
//! and shutdown lets a request in flight finish.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::support::TestApp;

/// `GET /health` on a keep-alive connection, as raw bytes.
const HEALTH: &[u8] = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

fn connect(app: &TestApp) -> TcpStream {
    let stream = TcpStream::connect(app.base.trim_start_matches("http://")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
}

/// Whether the server closed `stream` within `within`: reads until the
/// end of the stream (a response, if any, is read and ignored).
#[allow(clippy::disallowed_methods)] // measuring real time on a real socket
fn closed_within(stream: &mut TcpStream, within: Duration) -> Result<Duration, String> {
    let started = std::time::Instant::now();
    stream.set_read_timeout(Some(within)).unwrap();
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(started.elapsed()),
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return Ok(started.elapsed()),
            Err(e) => return Err(format!("still open after {:?} ({e})", started.elapsed())),
        }
    }
}

/// The status line of the next response on `stream`, if one comes within
/// `within`.
fn status_within(stream: &mut TcpStream, within: Duration) -> Option<String> {
    stream.set_read_timeout(Some(within)).unwrap();
    let mut buf = [0u8; 1024];
    let n = stream.read(&mut buf).ok().filter(|&n| n > 0)?;
    let text = String::from_utf8_lossy(&buf[..n]);
    text.lines().next().map(str::to_owned)
}

/// A connection that never says a word, half a request — the request line
/// and one header, never the blank line that ends them — and a request
/// trickled a byte at a time are all dropped once HEADER_READ_TIMEOUT has
/// passed since they began.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_are_dropped_after_the_header_read_timeout() {
    let app = TestApp::spawn_with(|c| c.header_read_timeout = Duration::from_secs(1)).await;
    let mut silent = connect(&app);
    let mut half = connect(&app);
    let mut trickle = connect(&app);
    tokio::task::spawn_blocking(move || {
        #[allow(clippy::disallowed_methods)] // measuring real time
        let started = std::time::Instant::now();
        half.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            .unwrap();
        for quiet in [&mut silent, &mut half] {
            closed_within(quiet, Duration::from_secs(5)).unwrap();
            let waited = started.elapsed();
            assert!(waited >= Duration::from_millis(900), "{waited:?}");
        }

        // One byte every 200 ms: each one is progress, but the deadline
        // runs from the first.
        let writer = trickle.try_clone().unwrap();
        let dripping = std::thread::spawn(move || {
            let mut writer = writer;
            for byte in HEALTH.iter().take(HEALTH.len() - 2) {
                if writer.write_all(&[*byte]).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        });
        closed_within(&mut trickle, Duration::from_secs(5)).unwrap();
        dripping.join().unwrap();
    })
    .await
    .unwrap();
    // Whole requests are unaffected.
    assert_eq!(app.get("/health").await.status, 200);
}

/// With MAX_CONNECTIONS=2, a third connection is not served while two are
/// open, and is served as soon as one of them closes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_cap_wait_for_one_to_close() {
    let app = TestApp::spawn_with(|c| c.max_connections = 2).await;
    let (mut first, mut second, mut third) = (connect(&app), connect(&app), connect(&app));
    tokio::task::spawn_blocking(move || {
        let ok = Some("HTTP/1.1 200 OK".to_owned());
        for open in [&mut first, &mut second] {
            open.write_all(HEALTH).unwrap();
            assert_eq!(status_within(open, Duration::from_secs(5)), ok);
        }
        third.write_all(HEALTH).unwrap();
        assert_eq!(
            status_within(&mut third, Duration::from_millis(700)),
            None,
            "not served while two connections are open"
        );
        drop(first);
        assert_eq!(status_within(&mut third, Duration::from_secs(5)), ok);
        // The slots are in use again: still one per open connection.
        second.write_all(HEALTH).unwrap();
        assert_eq!(status_within(&mut second, Duration::from_secs(5)), ok);
    })
    .await
    .unwrap();
}

/// Shutdown stops accepting, lets a request in flight finish, and closes
/// idle keep-alive connections without waiting for the grace period.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_the_request_in_flight_finish() {
    let app = TestApp::spawn_with(|c| c.header_read_timeout = Duration::from_secs(30)).await;
    let mut idle = connect(&app);
    let mut busy = connect(&app);
    let addr = app.base.trim_start_matches("http://").to_owned();
    let (idle, busy) = tokio::task::spawn_blocking(move || {
        idle.write_all(HEALTH).unwrap();
        assert!(status_within(&mut idle, Duration::from_secs(5)).is_some());
        // Headers sent, body still to come: a request in flight (the
        // handler asks for the body: `100 Continue`).
        busy.write_all(
            b"POST /oauth/device/code HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n\
              Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n\r\n",
        )
        .unwrap();
        assert_eq!(
            status_within(&mut busy, Duration::from_secs(5)).as_deref(),
            Some("HTTP/1.1 100 Continue")
        );
        (idle, busy)
    })
    .await
    .unwrap();
    let (mut idle, mut busy) = (idle, busy);
    #[allow(clippy::disallowed_methods)] // measuring real time
    let started = std::time::Instant::now();
    let stopped = tokio::spawn(app.shutdown());
    let status = tokio::task::spawn_blocking(move || {
        closed_within(&mut idle, Duration::from_secs(3)).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        busy.write_all(b"client_id=x").unwrap();
        let status = status_within(&mut busy, Duration::from_secs(5));
        assert!(
            std::net::TcpStream::connect(&addr).is_err(),
            "no longer accepting"
        );
        status
    })
    .await
    .unwrap();
    assert_eq!(status.as_deref(), Some("HTTP/1.1 400 Bad Request"));
    stopped.await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "no grace wasted"
    );
}
