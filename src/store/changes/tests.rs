//! The change map: live polls, decided and pending codes, forgetting.
use super::*;

fn live(id: &str) -> LivePoll {
    LivePoll {
        id: id.into(),
        client_id: "c".into(),
        expires_at: UnixSecs(100),
        interval_secs: 5,
        last_poll_at_ms: None,
        repeat_used: false,
        loaded_at_ms: 0,
        dirty: false,
    }
}

#[test]
fn a_read_from_before_a_change_is_not_kept() {
    let changes = Changes::default();
    let epoch = changes.codes_epoch();
    changes.forget_code_local("other");
    changes.remember_poll("h", epoch, live("a"));
    assert_eq!(changes.live_polls(), 0);
    changes.remember_poll("h", changes.codes_epoch(), live("a"));
    assert_eq!(changes.live_polls(), 1);
}

#[test]
fn notifications_apply_by_payload() {
    let changes = Changes::default();
    changes.remember_poll("h", 0, live("a"));
    apply(&changes, "code:h");
    assert_eq!(changes.live_polls(), 0);
    apply(&changes, "tokens");
    assert_eq!(changes.generation(Topic::Tokens), 1);
    assert_eq!(changes.generation(Topic::Clients), 0);
    apply(&changes, "something else");
    assert_eq!(changes.generation(Topic::Clients), 1);
}

#[test]
fn dirty_polls_are_taken_once_and_expired_ones_dropped() {
    let changes = Changes::default();
    let mut a = live("a");
    a.dirty = true;
    changes.remember_poll("ha", 0, a);
    let mut b = live("b");
    b.expires_at = UnixSecs(10);
    changes.remember_poll("hb", 0, b);
    assert_eq!(changes.take_dirty_polls(50).len(), 1);
    assert!(changes.take_dirty_polls(50).is_empty());
    assert_eq!(changes.live_polls(), 1, "b expired");
}

/// Losing the listener forgets what the database can tell again, not
/// pacing it never heard of: that is kept, unconfirmed (the next poll
/// reads the database), and still written behind.
#[test]
fn forgetting_everything_keeps_unsaved_pacing() {
    let changes = Changes::default();
    let mut grown = live("a");
    grown.interval_secs = 10;
    grown.dirty = true;
    changes.remember_poll("ha", 0, grown);
    changes.remember_poll("hb", 0, live("b"));
    apply(&changes, "something else");
    assert_eq!(changes.live_polls(), 1, "the saved one is forgotten");
    assert!(
        changes.with_live_poll("ha", 0, |_| ()).is_none(),
        "unconfirmed: the next poll reads the database"
    );
    let dirty = changes.take_dirty_polls(50);
    assert_eq!(dirty.len(), 1);
    assert_eq!((dirty[0].0.as_str(), dirty[0].1.interval_secs), ("ha", 10));
}

/// Pacing whose write failed is unsaved again: merged into what is held
/// now, or held again if it was forgotten meanwhile.
#[test]
fn pacing_whose_write_failed_is_unsaved_again() {
    let changes = Changes::default();
    let mut a = live("a");
    a.interval_secs = 10;
    a.dirty = true;
    changes.remember_poll("ha", 0, a);
    let mut b = live("b");
    b.dirty = true;
    changes.remember_poll("hb", 0, b);
    let taken = changes.take_dirty_polls(50);
    assert_eq!(taken.len(), 2);
    assert!(changes.take_dirty_polls(50).is_empty());
    changes.drop_poll("hb");
    changes.unsaved(taken);
    let mut again = changes.take_dirty_polls(50);
    again.sort_by(|x, y| x.0.cmp(&y.0));
    let kept: Vec<(&str, i64)> = again
        .iter()
        .map(|(h, p)| (h.as_str(), p.interval_secs))
        .collect();
    assert_eq!(kept, [("ha", 10), ("hb", 5)]);
}

fn bcdf() -> UserCode {
    DeviceCode::example().user_code
}

/// The `i`th user code in base 20.
fn nth_code(i: usize) -> UserCode {
    let alphabet = crate::model::user_code::USER_CODE_ALPHABET;
    let letters: String = (0..8)
        .map(|k| char::from(alphabet[(i / 20usize.pow(k)) % 20]))
        .collect();
    UserCode::parse(&letters).unwrap()
}

#[test]
fn pending_codes_are_shown_while_fresh_and_until_forgotten() {
    let changes = Changes::default();
    let code = DeviceCode::example();
    changes.remember_pending(code.clone(), 1_000);
    assert_eq!(changes.pending_code(&bcdf(), 2_000), Some(code.clone()));
    assert_eq!(
        changes.pending_code(&bcdf(), 1_000 + POLL_MAX_AGE_MS + 1),
        None,
        "unconfirmed too long"
    );
    assert_eq!(changes.pending_code(&bcdf(), 100_000), None, "expired");
    changes.forget_pending(&bcdf());
    assert_eq!(changes.pending_code(&bcdf(), 2_000), None);

    changes.remember_pending(code.clone(), 1_000);
    changes.take_dirty_polls(100);
    assert_eq!(
        changes.pending_code(&bcdf(), 2_000),
        None,
        "expired ones pruned"
    );
    for i in 0..MAX_PENDING {
        let other = DeviceCode {
            user_code: nth_code(i),
            ..DeviceCode::example()
        };
        changes.remember_pending(other, 1_000);
    }
    changes.remember_pending(code.clone(), 1_000);
    assert!(
        changes.pending_code(&bcdf(), 2_000).is_some(),
        "held when full: the memory starts over"
    );
    assert_eq!(changes.pending.len(), 1);
    apply(&changes, "unknown payload");
    assert_eq!(
        changes.pending_code(&bcdf(), 2_000),
        None,
        "forgotten with everything"
    );
}

/// A decided code is handed to one poll, only while fresh, and is
/// forgotten when another instance reports the code changed.
#[test]
fn decided_codes_are_taken_once_while_fresh() {
    use crate::model::DeviceState;
    let code = DeviceCode {
        state: DeviceState::Approved {
            user_id: "u".into(),
            decided_at: UnixSecs(1),
        },
        ..DeviceCode::example()
    };
    let changes = Changes::default();
    changes.remember_decided("h", code.clone(), 1_000);
    assert_eq!(changes.take_decided("h", 2_000), Some(code.clone()));
    assert_eq!(changes.take_decided("h", 2_000), None, "taken once");

    changes.remember_decided("h", code.clone(), 1_000);
    assert_eq!(changes.take_decided("h", 1_000 + POLL_MAX_AGE_MS + 1), None);

    changes.remember_decided("h", code.clone(), 1_000);
    apply(&changes, "code:h");
    assert_eq!(changes.take_decided("h", 1_000), None);

    changes.remember_decided("h", code, 1_000);
    changes.take_dirty_polls(1_000 / 1000 + POLL_MAX_AGE_MS / 1000 + 1);
    assert_eq!(
        changes.take_decided("h", 1_000),
        None,
        "stale entries pruned"
    );
}
