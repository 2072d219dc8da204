//! The pure rules of the device flow: user codes and RFC 8628 §3.5 pacing.

use super::*;

fn pending(interval: i64, last: Option<i64>, repeat_used: bool) -> DeviceCode {
    DeviceCode {
        interval_secs: interval,
        last_poll_at_ms: last,
        poll_repeat_used: repeat_used,
        expires_at: 1_000,
        ..DeviceCode::example()
    }
}

#[test]
fn normalizes_forgiving_input() {
    assert_eq!(
        normalize_user_code("bcdf-ghjk").as_deref(),
        Some("BCDFGHJK")
    );
    assert_eq!(
        normalize_user_code(" BCDF GHJK ").as_deref(),
        Some("BCDFGHJK")
    );
    assert_eq!(
        normalize_user_code("bc.df–gh_jk").as_deref(),
        Some("BCDFGHJK")
    );
    assert_eq!(normalize_user_code("BCDFGHJ"), None);
    assert_eq!(
        normalize_user_code("ABCDEFGH"),
        None,
        "vowels are not in the alphabet"
    );
    assert_eq!(normalize_user_code("BCDFGHJ1"), None);
    assert_eq!(normalize_user_code(""), None);
}

#[test]
fn formats_with_a_dash() {
    assert_eq!(format_user_code("BCDFGHJK"), "BCDF-GHJK");
}

#[test]
fn first_poll_is_never_throttled() {
    let v = judge_poll(&pending(5, None, false), 10_000);
    assert!(matches!(v, PollVerdict::Pending(u) if u.last_poll_at_ms == 10_000));
}

#[test]
fn poll_within_tolerance_is_accepted() {
    let v = judge_poll(&pending(5, Some(10_000), false), 14_100);
    assert!(matches!(v, PollVerdict::Pending(u) if u.last_poll_at_ms == 14_100));
}

#[test]
fn one_immediate_repeat_is_allowed_then_slow_down() {
    let code = pending(5, Some(10_000), false);
    let PollVerdict::Pending(update) = judge_poll(&code, 10_050) else {
        unreachable!("a single repeat is tolerated")
    };
    assert_eq!(
        update.last_poll_at_ms, 10_000,
        "the repeat does not move the tick"
    );
    assert!(update.repeat_used);
    let code = pending(5, Some(10_000), true);
    assert_eq!(
        judge_poll(&code, 10_100),
        PollVerdict::SlowDown(PollUpdate {
            last_poll_at_ms: 10_100,
            interval_secs: 10,
            repeat_used: false
        })
    );
}

#[test]
fn fast_poll_outside_repeat_window_slows_down() {
    let v = judge_poll(&pending(5, Some(10_000), false), 12_500);
    assert!(matches!(v, PollVerdict::SlowDown(u) if u.interval_secs == 10));
}

#[test]
fn expiry_beats_pending_and_approval_but_not_denial() {
    let mut code = pending(5, None, false);
    assert_eq!(judge_poll(&code, 1_000_000), PollVerdict::Expired);
    code.state = DeviceState::Approved {
        user_id: "u".into(),
        decided_at: 1,
    };
    assert_eq!(judge_poll(&code, 1_000_000), PollVerdict::Expired);
    assert_eq!(
        judge_poll(&code, 5_000),
        PollVerdict::Redeem {
            user_id: "u".into()
        }
    );
    code.state = DeviceState::Denied {
        user_id: "u".into(),
        decided_at: 1,
    };
    assert_eq!(judge_poll(&code, 1_000_000), PollVerdict::Denied);
    code.state = DeviceState::Redeemed {
        user_id: "u".into(),
        decided_at: 1,
        redeemed_at: 2,
    };
    assert_eq!(judge_poll(&code, 5_000), PollVerdict::Replayed);
}
