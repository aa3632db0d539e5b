use super::*;

/// Reserves and fails `n` attempts; true when every one was let through.
async fn fail(throttle: &LoginThrottle, subjects: &Subjects, now: i64, n: u32) -> bool {
    for _ in 0..n {
        match throttle.reserve(subjects, now).await.unwrap() {
            Verdict::Go(reservation) => reservation.failed().await.unwrap(),
            Verdict::Wait { .. } | Verdict::Busy => return false,
        }
    }
    true
}

async fn waits(throttle: &LoginThrottle, subjects: &Subjects, now: i64) -> Option<u64> {
    match throttle.reserve(subjects, now).await.unwrap() {
        Verdict::Go(_) => None, // dropped unsettled: given back
        Verdict::Wait {
            retry_after_secs, ..
        } => Some(retry_after_secs),
        Verdict::Busy => panic!("busy, not locked out"),
    }
}

async fn busy(throttle: &LoginThrottle, subjects: &Subjects, now: i64) -> bool {
    matches!(
        throttle.reserve(subjects, now).await.unwrap(),
        Verdict::Busy
    )
}

#[tokio::test]
async fn the_sixth_guess_from_one_address_at_one_account_waits_for_the_window() {
    let throttle = LoginThrottle::in_memory();
    let subjects = Subjects::new("Drummer", "10.0.0.1");
    assert!(fail(&throttle, &subjects, 100, PAIR_LIMIT).await);

    assert_eq!(
        waits(&throttle, &subjects, 100).await,
        Some(WINDOW_SECS as u64)
    );
    // The username is case-folded.
    assert!(
        waits(&throttle, &Subjects::new("drummer", "10.0.0.1"), 101)
            .await
            .is_some()
    );
    // The member, elsewhere, is not locked out by someone else's guesses.
    assert!(
        waits(&throttle, &Subjects::new("drummer", "10.0.0.2"), 101)
            .await
            .is_none()
    );
    assert!(
        waits(&throttle, &subjects, 100 + WINDOW_SECS)
            .await
            .is_none()
    );
}

#[tokio::test]
async fn reservations_in_flight_count_so_a_burst_cannot_outrun_the_limit() {
    let throttle = LoginThrottle::in_memory();
    let subjects = Subjects::new("drummer", "10.0.0.1");
    let mut held = Vec::new();
    for _ in 0..40 {
        if let Verdict::Go(reservation) = throttle.reserve(&subjects, 5).await.unwrap() {
            held.push(reservation);
        }
    }
    assert_eq!(held.len(), PAIR_LIMIT as usize);
    // Given back unsettled (an error on the way): the budget returns.
    drop(held);
    assert!(fail(&throttle, &subjects, 5, PAIR_LIMIT).await);
}

/// `PAIR_LIMIT` attempts reserved and in flight.
async fn fill<'a>(throttle: &'a LoginThrottle, subjects: &Subjects) -> Vec<Reservation<'a>> {
    let mut held = Vec::new();
    for _ in 0..PAIR_LIMIT {
        match throttle.reserve(subjects, 5).await.unwrap() {
            Verdict::Go(reservation) => held.push(reservation),
            Verdict::Wait { .. } | Verdict::Busy => panic!("refused within the limit"),
        }
    }
    held
}

#[tokio::test]
async fn attempts_in_flight_that_fill_a_limit_make_the_next_busy_not_locked_out() {
    let throttle = LoginThrottle::in_memory();
    let subjects = Subjects::new("drummer", "10.0.0.1");
    let held = fill(&throttle, &subjects).await;
    // Nothing has failed yet: busy, and no lockout to audit.
    assert!(busy(&throttle, &subjects, 5).await);
    // The right password, five times: the budget is whole again.
    for reservation in held {
        reservation.succeeded().await.unwrap();
    }
    assert!(fail(&throttle, &subjects, 5, PAIR_LIMIT).await);
    // Five failures: the window, and its first lockout is audited.
    let firsts: Vec<bool> = futures_first(&throttle, &subjects).await;
    assert_eq!(firsts, [true, false, false]);
}

/// Settles every attempt of `held` after a moment, the right password or a wrong one.
async fn settle_soon(held: Vec<Reservation<'_>>, right: bool) {
    tokio::time::sleep(Duration::from_millis(50)).await;
    for reservation in held {
        if right {
            reservation.succeeded().await.unwrap();
        } else {
            reservation.failed().await.unwrap();
        }
    }
}

/// What an attempt made while `PAIR_LIMIT` others are in flight gets once
/// those are settled, with the right password or a wrong one: `None`, its
/// turn; otherwise the wait it is told, and whether that lockout is audited.
async fn after_the_attempts_in_flight(right: bool) -> Option<(u64, bool)> {
    let throttle = LoginThrottle::in_memory();
    let subjects = Subjects::new("drummer", "10.0.0.1");
    let held = fill(&throttle, &subjects).await;
    let patience = Duration::from_secs(5);
    let (verdict, ()) = tokio::join!(
        throttle.reserve_waiting(&subjects, 5, patience),
        settle_soon(held, right)
    );
    match verdict.unwrap() {
        Verdict::Go(_) => None,
        Verdict::Wait {
            retry_after_secs,
            first,
        } => Some((retry_after_secs, first)),
        Verdict::Busy => panic!("the attempts in flight were settled"),
    }
}

#[tokio::test]
async fn a_waiting_attempt_gets_in_as_the_attempts_in_flight_succeed() {
    assert_eq!(after_the_attempts_in_flight(true).await, None);
}

#[tokio::test]
async fn a_waiting_attempt_meets_the_lockout_as_the_attempts_in_flight_fail() {
    assert_eq!(
        after_the_attempts_in_flight(false).await,
        Some((WINDOW_SECS as u64, true))
    );
}

#[tokio::test]
async fn a_waiting_attempt_stays_busy_when_its_patience_runs_out() {
    let throttle = LoginThrottle::in_memory();
    let subjects = Subjects::new("drummer", "10.0.0.1");
    let _held = fill(&throttle, &subjects).await;
    let verdict = throttle
        .reserve_waiting(&subjects, 5, Duration::from_millis(60))
        .await;
    assert!(matches!(verdict.unwrap(), Verdict::Busy));
}

#[tokio::test]
async fn an_attempt_whose_window_started_again_settles_nothing_in_the_new_one() {
    let throttle = LoginThrottle::in_memory();
    let subjects = Subjects::new("drummer", "10.0.0.1");
    let Verdict::Go(old) = throttle.reserve(&subjects, 5).await.unwrap() else {
        panic!("the first attempt");
    };
    // A new window, full of attempts in flight.
    let later = 5 + WINDOW_SECS;
    let mut held = Vec::new();
    for _ in 0..PAIR_LIMIT {
        if let Verdict::Go(reservation) = throttle.reserve(&subjects, later).await.unwrap() {
            held.push(reservation);
        }
    }
    assert_eq!(held.len(), PAIR_LIMIT as usize);
    // Given back, the old attempt frees no place in the new window.
    drop(old);
    assert!(busy(&throttle, &subjects, later).await);
}

#[tokio::test]
async fn a_right_password_keeps_the_other_attempts_in_flight_counted() {
    let throttle = LoginThrottle::in_memory();
    let subjects = Subjects::new("drummer", "10.0.0.1");
    let mut held = Vec::new();
    for _ in 0..PAIR_LIMIT {
        if let Verdict::Go(reservation) = throttle.reserve(&subjects, 5).await.unwrap() {
            held.push(reservation);
        }
    }
    let right = held.pop().unwrap();
    right.succeeded().await.unwrap();
    // Four guesses still in flight, and one place free.
    assert!(fail(&throttle, &subjects, 5, 1).await);
    for guess in held {
        guess.failed().await.unwrap();
    }
    assert_eq!(
        waits(&throttle, &subjects, 5).await,
        Some(WINDOW_SECS as u64)
    );
}

#[tokio::test]
async fn only_the_first_refusal_of_a_window_is_reported() {
    let throttle = LoginThrottle::in_memory();
    let subjects = Subjects::new("drummer", "10.0.0.1");
    assert!(fail(&throttle, &subjects, 5, PAIR_LIMIT).await);
    let firsts: Vec<bool> = futures_first(&throttle, &subjects).await;
    assert_eq!(firsts, [true, false, false]);
}

async fn futures_first(throttle: &LoginThrottle, subjects: &Subjects) -> Vec<bool> {
    let mut firsts = Vec::new();
    for _ in 0..3 {
        if let Verdict::Wait { first, .. } = throttle.reserve(subjects, 6).await.unwrap() {
            firsts.push(first);
        }
    }
    firsts
}

#[tokio::test]
async fn an_account_guessed_at_from_many_addresses_is_throttled() {
    let throttle = LoginThrottle::in_memory();
    for i in 0..USERNAME_LIMIT {
        assert!(
            fail(
                &throttle,
                &Subjects::new("manager", &format!("10.1.0.{i}")),
                5,
                1
            )
            .await
        );
    }
    assert!(
        waits(&throttle, &Subjects::new("manager", "10.2.0.1"), 6)
            .await
            .is_some()
    );
    assert!(
        waits(&throttle, &Subjects::new("drummer", "10.2.0.1"), 6)
            .await
            .is_none()
    );
}

#[tokio::test]
async fn an_address_the_member_signed_in_from_is_not_locked_out_by_guesses_from_elsewhere() {
    let throttle = LoginThrottle::in_memory();
    for i in 0..USERNAME_LIMIT {
        let elsewhere = Subjects::new("manager", &format!("10.1.0.{i}"));
        assert!(fail(&throttle, &elsewhere, 5, 1).await);
    }
    let home = Subjects::new("manager", "10.2.0.1");
    assert!(waits(&throttle, &home, 6).await.is_some());
    assert!(home.signed_in_from(&["10.9.9.9".into()]).is_none());
    let known = home.signed_in_from(&["10.2.0.1".into()]).unwrap();
    assert!(waits(&throttle, &known, 6).await.is_none());
    // The member signs in there: the guessers' count stands (cleared, it
    // would give them a fresh budget each time).
    match throttle.reserve(&known, 6).await.unwrap() {
        Verdict::Go(reservation) => reservation.succeeded().await.unwrap(),
        Verdict::Wait { .. } | Verdict::Busy => panic!("refused where the member signs in"),
    }
    assert!(
        waits(&throttle, &Subjects::new("manager", "10.3.0.1"), 6)
            .await
            .is_some()
    );
    // The pair limit still holds there.
    assert!(fail(&throttle, &known, 6, PAIR_LIMIT).await);
    assert!(waits(&throttle, &known, 6).await.is_some());
    // An IPv6 member is known by the block, as they are counted.
    let v6 = Subjects::new("manager", "2001:db8:1:2::7");
    let v6 = v6.signed_in_from(&["2001:db8:1:2::99".into()]).unwrap();
    assert!(waits(&throttle, &v6, 6).await.is_none());
}

#[tokio::test]
async fn guesses_at_made_up_names_from_a_shared_address_do_not_lock_out_a_member_who_signs_in_there()
 {
    let throttle = LoginThrottle::in_memory();
    spray_made_up_names(&throttle, "10.4.0.1", ADDRESS_LIMIT).await;
    let member = Subjects::new("drummer", "10.4.0.1");
    assert!(waits(&throttle, &member, 6).await.is_some());
    let known = member.signed_in_from(&["10.4.0.1".into()]).unwrap();
    assert!(waits(&throttle, &known, 6).await.is_none());
    assert!(a_fresh_name_waits(&throttle, "10.4.0.1").await);
}

/// `count` wrong guesses from `address`, each at a name of its own.
async fn spray_made_up_names(throttle: &LoginThrottle, address: &str, count: u32) {
    for i in 0..count {
        let guess = Subjects::new(&format!("ghost{i}"), address);
        assert!(fail(throttle, &guess, 5, 1).await);
    }
}

/// Whether a name never tried from `address` is held by its limit there.
async fn a_fresh_name_waits(throttle: &LoginThrottle, address: &str) -> bool {
    let fresh = Subjects::new("ghost-next", address);
    waits(throttle, &fresh, 6).await.is_some()
}

#[tokio::test]
async fn a_reset_forgives_the_members_failures_and_leaves_the_addresss_count() {
    let throttle = LoginThrottle::in_memory();
    let home = Subjects::new("Drummer", "10.5.0.1");
    assert!(fail(&throttle, &home, 5, PAIR_LIMIT).await);
    spray_made_up_names(&throttle, "10.5.0.1", ADDRESS_LIMIT - PAIR_LIMIT).await;
    assert!(waits(&throttle, &home, 6).await.is_some());
    // Names are matched without case, addresses by their block.
    throttle
        .forgive("drummer", &["10.5.0.1".into()])
        .await
        .unwrap();
    let known = home.signed_in_from(&["10.5.0.1".into()]).unwrap();
    assert!(waits(&throttle, &known, 6).await.is_none());
    // The address's own count stands: a fresh name there is still refused.
    assert!(a_fresh_name_waits(&throttle, "10.5.0.1").await);
}

#[tokio::test]
async fn one_address_guessing_many_usernames_is_throttled() {
    let throttle = LoginThrottle::in_memory();
    for i in 0..ADDRESS_LIMIT {
        assert!(
            fail(
                &throttle,
                &Subjects::new(&format!("user{i}"), "10.0.0.9"),
                5,
                1
            )
            .await
        );
    }
    assert!(
        waits(&throttle, &Subjects::new("fresh", "10.0.0.9"), 6)
            .await
            .is_some()
    );
    assert!(
        waits(&throttle, &Subjects::new("fresh", "10.0.0.8"), 6)
            .await
            .is_none()
    );
}

#[tokio::test]
async fn a_correct_password_clears_the_accounts_counts_but_not_the_addresss() {
    let throttle = LoginThrottle::in_memory();
    let subjects = Subjects::new("drummer", "10.0.0.1");
    assert!(fail(&throttle, &subjects, 5, PAIR_LIMIT - 1).await);
    let Verdict::Go(reservation) = throttle.reserve(&subjects, 5).await.unwrap() else {
        panic!("under the limit");
    };
    reservation.succeeded().await.unwrap();
    assert!(
        fail(&throttle, &subjects, 5, PAIR_LIMIT).await,
        "the count started again"
    );
    let LoginThrottle::Memory(counters) = &throttle else {
        unreachable!()
    };
    let counters = counters.lock().unwrap();
    let failures_before_and_after_the_success = (PAIR_LIMIT - 1) + PAIR_LIMIT;
    assert_eq!(
        counters[&subjects.keys[ADDRESS]].failures,
        failures_before_and_after_the_success
    );
}

#[tokio::test]
async fn the_addresses_of_one_ipv6_block_count_as_one() {
    let throttle = LoginThrottle::in_memory();
    for i in 0..ADDRESS_LIMIT {
        let address = format!("2001:db8:1:2::{i:x}");
        assert!(
            fail(
                &throttle,
                &Subjects::new(&format!("user{i}"), &address),
                5,
                1
            )
            .await
        );
    }
    assert!(
        waits(
            &throttle,
            &Subjects::new("fresh", "2001:db8:1:2:ffff::1"),
            6
        )
        .await
        .is_some()
    );
    assert!(
        waits(&throttle, &Subjects::new("fresh", "2001:db8:1:3::1"), 6)
            .await
            .is_none()
    );
}

#[tokio::test]
async fn the_counters_never_outgrow_their_cap() {
    let throttle = LoginThrottle::in_memory();
    for i in 0..(MAX_ENTRIES as u32 / 3 + 50) {
        // Spread over addresses so that no address limit stops the churn.
        let subjects = Subjects::new(
            &format!("u{i}"),
            &format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255),
        );
        let _ = fail(&throttle, &subjects, 5, 1).await;
    }
    let LoginThrottle::Memory(counters) = &throttle else {
        unreachable!()
    };
    assert!(counters.lock().unwrap().len() <= MAX_ENTRIES);
}
