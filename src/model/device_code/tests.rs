//! The device code's transitions and RFC 8628 §3.5 pacing.

use super::*;

fn u(id: &str) -> UserId {
    UserId::from(id)
}

fn pending(interval: i64, last: Option<i64>, repeat_used: bool) -> DeviceCode {
    DeviceCode {
        interval_secs: interval,
        last_poll_at_ms: last.map(UnixMs),
        poll_repeat_used: repeat_used,
        expires_at: UnixSecs(1_000),
        ..DeviceCode::example()
    }
}

fn paced(code: &DeviceCode, now_ms: i64) -> Paced {
    match code.judge_poll(UnixMs(now_ms)) {
        PollOutcome::Paced(p) => p,
        other => unreachable!("expected a paced answer, got {other:?}"),
    }
}

#[test]
fn first_poll_is_never_throttled() {
    let v = paced(&pending(5, None, false), 10_000);
    assert!(matches!(v, Paced::Pending(u) if u.last_poll_at_ms == UnixMs(10_000)));
}

#[test]
fn poll_within_tolerance_is_accepted() {
    let v = paced(&pending(5, Some(10_000), false), 14_100);
    assert!(matches!(v, Paced::Pending(u) if u.last_poll_at_ms == UnixMs(14_100)));
}

#[test]
fn one_immediate_repeat_is_allowed_then_slow_down() {
    let code = pending(5, Some(10_000), false);
    let Paced::Pending(update) = paced(&code, 10_050) else {
        unreachable!("a single repeat is tolerated")
    };
    assert_eq!(
        update.last_poll_at_ms,
        UnixMs(10_000),
        "the repeat does not move the tick"
    );
    assert!(update.repeat_used);
    let code = pending(5, Some(10_000), true);
    assert_eq!(
        paced(&code, 10_100),
        Paced::SlowDown(PollUpdate {
            last_poll_at_ms: UnixMs(10_100),
            interval_secs: 10,
            repeat_used: false
        })
    );
}

#[test]
fn fast_poll_outside_repeat_window_slows_down() {
    let v = paced(&pending(5, Some(10_000), false), 12_500);
    assert!(matches!(v, Paced::SlowDown(u) if u.interval_secs == 10));
}

#[test]
fn expiry_beats_pending_and_approval_but_not_denial() {
    let mut code = pending(5, None, false);
    assert_eq!(code.judge_poll(UnixMs(1_000_000)), PollOutcome::Expired);
    code = code.approve(&u("u"), UnixSecs(1)).unwrap();
    assert_eq!(code.judge_poll(UnixMs(1_000_000)), PollOutcome::Expired);
    assert_eq!(
        code.judge_poll(UnixMs(5_000)),
        PollOutcome::Redeem {
            user_id: "u".into()
        }
    );
    assert_eq!(
        pending(5, None, false)
            .deny(&u("u"), UnixSecs(1))
            .unwrap()
            .judge_poll(UnixMs(1_000_000)),
        PollOutcome::Denied
    );
    let redeemed = code.redeem(UnixSecs(2)).unwrap();
    assert_eq!(redeemed.judge_poll(UnixMs(5_000)), PollOutcome::Replayed);
}

#[test]
fn transitions_leave_only_their_state_and_only_while_live() {
    let code = pending(5, None, false);
    let approved = code.approve(&u("u"), UnixSecs(10)).unwrap();
    assert_eq!(
        approved.state,
        DeviceState::Approved {
            user_id: "u".into(),
            decided_at: UnixSecs(10)
        }
    );
    assert_eq!(
        approved.deny(&u("v"), UnixSecs(11)),
        Err(Refusal::WrongState {
            current: DeviceStatus::Approved,
            transition: Transition::Deny
        })
    );
    assert_eq!(
        code.redeem(UnixSecs(10)),
        Err(Refusal::WrongState {
            current: DeviceStatus::Pending,
            transition: Transition::Redeem
        })
    );
    assert_eq!(
        code.cancel(&u("admin"), UnixSecs(1_000)),
        Err(Refusal::Expired)
    );
    assert_eq!(approved.redeem(UnixSecs(1_000)), Err(Refusal::Expired));
    let cancelled = code.cancel(&u("admin"), UnixSecs(5)).unwrap();
    assert_eq!(cancelled.state.decided_by(), Some(&u("admin")));
    assert_eq!(cancelled.status(), DeviceStatus::Denied);
    let redeemed = approved.redeem(UnixSecs(20)).unwrap();
    assert_eq!(
        redeemed.state,
        DeviceState::Redeemed {
            user_id: "u".into(),
            decided_at: UnixSecs(10),
            redeemed_at: UnixSecs(20)
        }
    );
    assert!(redeemed.redeem(UnixSecs(21)).is_err(), "single use");
    for t in [
        Transition::Approve,
        Transition::Deny,
        Transition::Cancel,
        Transition::Redeem,
    ] {
        assert_ne!(t.leaves(), t.enters());
    }
}

#[test]
fn rows_decode_into_exactly_one_state() {
    let some = |s: &str| Some(UserId::from(s));
    assert_eq!(
        DeviceState::from_columns("pending", None, None, None),
        Some(DeviceState::Pending)
    );
    assert_eq!(
        DeviceState::from_columns("pending", some("u"), None, None),
        None
    );
    assert_eq!(
        DeviceState::from_columns("approved", some("u"), None, None),
        None
    );
    assert_eq!(
        DeviceState::from_columns("redeemed", some("u"), Some(UnixSecs(1)), Some(UnixSecs(2))),
        Some(DeviceState::Redeemed {
            user_id: "u".into(),
            decided_at: UnixSecs(1),
            redeemed_at: UnixSecs(2)
        })
    );
    assert_eq!(DeviceState::from_columns("expired", None, None, None), None);
    for s in DeviceStatus::ALL {
        assert_eq!(DeviceStatus::parse(s.as_str()), Some(s));
    }
}

#[test]
fn standing_derives_expiry_from_the_clock() {
    let code = DeviceCode::example();
    assert_eq!(code.standing(UnixSecs(99)), Standing::Pending);
    assert_eq!(code.standing(UnixSecs(100)), Standing::Expired);
    assert_eq!(
        code.deny(&u("u"), UnixSecs(1))
            .unwrap()
            .standing(UnixSecs(100)),
        Standing::Denied
    );
    for s in Standing::ALL {
        assert_eq!(Standing::parse(s.as_str()), Some(s));
    }
}
