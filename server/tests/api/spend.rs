//! The refresh store's seam (`db::spend`): both implementations answer the
//! same scenarios the same way. The batched one is SQLite's; the one-by-one
//! one runs on whichever database the suite uses.

use app::api::NewUser;
use std::time::Duration;

use server::{
    accounts::create_user,
    auth::refresh::{self, storage_key},
    db::{
        self, Pool,
        audit::{AuditKind, Event, Origin},
        changes::Author,
        refresh::{LostRace, SpendOutcome, find_token},
        refresh_batch::RefreshBatcher,
        spend::{OneByOne, RotationRequest, SpendLive},
        spender::Spender,
    },
};

use crate::common::{fresh_database_url, spawn_app};

async fn fresh_pool() -> (Pool, tempfile::TempDir) {
    let folder = tempfile::tempdir().unwrap();
    let pool = db::connect(&fresh_database_url(folder.path()).await)
        .await
        .unwrap();
    (pool, folder)
}

/// A member with one fresh session; returns the member's id and its first token.
async fn logged_in(pool: &Pool, now: i64) -> (String, refresh::Issued) {
    let member = NewUser {
        username: format!("m{}", uuid::Uuid::new_v4().simple()),
        display_name: "Member".into(),
        role: "drummer".into(),
        password: "correct horse battery".into(),
        instrument: String::new(),
    };
    let user = create_user(pool, member, &Author::default(), &Origin::system())
        .await
        .unwrap();
    let issued = refresh::start(pool, &user, 3600, &Origin::system(), now)
        .await
        .unwrap()
        .unwrap();
    (user.id, issued)
}

/// A login checks the password, then writes the session: a disable or a new
/// password in between must leave it without one (it would outlive them),
/// and say which.
#[tokio::test]
async fn a_login_checked_before_a_disable_or_a_new_password_starts_no_session() {
    let (pool, _folder) = fresh_pool().await;
    let member = NewUser {
        username: "racer".into(),
        display_name: "Racer".into(),
        role: "drummer".into(),
        password: "correct horse battery".into(),
        instrument: String::new(),
    };
    let checked = create_user(&pool, member, &Author::default(), &Origin::system())
        .await
        .unwrap();
    let origin = Origin::system();
    let start = || refresh::start(&pool, &checked, 3600, &origin, 1_000);
    assert!(
        start().await.unwrap().is_ok(),
        "an unchanged member logs in"
    );

    sqlx::query("UPDATE users SET password_hash = 'a new hash' WHERE id = $1")
        .bind(&checked.id)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        start().await.unwrap().err(),
        Some(LostRace::NewPassword),
        "the password changed meanwhile"
    );

    sqlx::query("UPDATE users SET password_hash = $1, disabled_at = 1 WHERE id = $2")
        .bind(&checked.password_hash)
        .bind(&checked.id)
        .execute(&pool)
        .await
        .unwrap();
    // Said as a disable (403), not as a wrong password.
    assert_eq!(
        start().await.unwrap().err(),
        Some(LostRace::Disabled),
        "disabled meanwhile"
    );
}

fn request(old: &str, new: &str, now: i64) -> RotationRequest {
    RotationRequest {
        old_hash: storage_key(old),
        new_hash: storage_key(new),
        now,
        origin: Origin::system(),
    }
}

fn new_token(n: u8) -> String {
    format!("successor-{n}-{}", uuid::Uuid::new_v4().simple())
}

/// The scenarios every implementation must answer alike.
async fn spends_live_tokens_only(store: &impl SpendLive, pool: &Pool) {
    let now = server::clock::now();
    let (user_id, issued) = logged_in(pool, now).await;
    let (second, third) = (new_token(2), new_token(3));

    let SpendOutcome::Done(found) = store
        .spend_if_live(request(&issued.token, &second, now))
        .await
        .unwrap()
    else {
        panic!("a live token is spent");
    };
    assert_eq!(found.family_id, issued.family_id);

    // The very same request again, as a replay in the millisecond the token
    // was spent makes it (its successor is derived from the spent token and
    // that millisecond): it finds the token spent, and does not pass for the
    // rotation it repeats (reuse detection depends on it).
    assert!(matches!(
        store
            .spend_if_live(request(&issued.token, &second, now))
            .await
            .unwrap(),
        SpendOutcome::NotLive(Some(_))
    ));

    match store
        .spend_if_live(request(&issued.token, &third, now))
        .await
        .unwrap()
    {
        SpendOutcome::NotLive(Some(spent)) => assert_eq!(spent.spent_at, Some(now)),
        _ => panic!("a spent token is not spent twice"),
    }
    assert!(matches!(
        store
            .spend_if_live(request("never-issued", &third, now))
            .await
            .unwrap(),
        SpendOutcome::NotLive(None)
    ));

    // The successor is the family's live token; once the family is revoked,
    // nothing of it is spent.
    let origin = Origin::system();
    let event = Event::session(
        AuditKind::SessionRevoked,
        &origin,
        &user_id,
        &issued.family_id,
    );
    db::revoke::revoke_family(pool, &issued.family_id, now, &event)
        .await
        .unwrap();
    match store
        .spend_if_live(request(&second, &third, now))
        .await
        .unwrap()
    {
        SpendOutcome::NotLive(Some(row)) => assert!(!row.is_live(now)),
        _ => panic!("a revoked family's token is not spent"),
    }
}

/// Two refreshes with the same token at the same moment: one spends it.
async fn spends_a_token_once_under_a_race(store: &impl SpendLive, pool: &Pool) {
    let now = server::clock::now();
    let (_, issued) = logged_in(pool, now).await;
    let (a, b) = (new_token(4), new_token(5));
    let (first, second) = tokio::join!(
        store.spend_if_live(request(&issued.token, &a, now)),
        store.spend_if_live(request(&issued.token, &b, now)),
    );
    let done = [first.unwrap(), second.unwrap()]
        .iter()
        .filter(|rotation| matches!(rotation, SpendOutcome::Done(_)))
        .count();
    assert_eq!(done, 1);
}

#[tokio::test]
async fn one_by_one_spends_live_tokens_only() {
    let (pool, _folder) = fresh_pool().await;
    let store = OneByOne::new(pool.clone());
    spends_live_tokens_only(&store, &pool).await;
    spends_a_token_once_under_a_race(&store, &pool).await;
}

#[tokio::test]
async fn the_batch_spends_live_tokens_only() {
    if std::env::var_os("BACKSTAGE_TEST_POSTGRES_URL").is_some() {
        return; // the batch is SQLite's (its SQL is SQLite's dialect)
    }
    let (pool, _folder) = fresh_pool().await;
    let store = RefreshBatcher::start(pool.clone());
    spends_live_tokens_only(&store, &pool).await;
    spends_a_token_once_under_a_race(&store, &pool).await;
}

#[tokio::test]
async fn on_sqlite_refreshes_that_queue_up_are_rotated_together() {
    // Several refreshes in one batch: each gets its own answer, and each
    // audit row is its own refresh's.
    let app = spawn_app().await;
    let Spender::Batched(batcher) = &app.state.refresh_spender else {
        return; // PostgreSQL: no group commit
    };
    let (drummer, manager) = (app.login("drummer").await, app.login("manager").await);
    let now = server::clock::now();
    // Each from its own address, to check whose event each audit row is.
    let request = |presented: &str, successor: &str| RotationRequest {
        old_hash: storage_key(presented),
        new_hash: successor.to_owned(),
        now,
        origin: Origin {
            actor_id: None,
            ip: format!("ip of {successor}"),
            user_agent: "test".to_owned(),
        },
    };
    // While the test holds SQLite's one connection, the four queue up; then
    // they run as one batch.
    let held = app.state.db.acquire().await.unwrap();
    let release = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(held);
    };
    let ((first, twin, unknown, other), ()) = tokio::join!(
        async {
            tokio::join!(
                batcher.spend_if_live(request(&drummer.refresh_cookie, "successor-1")),
                batcher.spend_if_live(request(&drummer.refresh_cookie, "successor-2")),
                batcher.spend_if_live(request("never-issued", "successor-3")),
                batcher.spend_if_live(request(&manager.refresh_cookie, "successor-4")),
            )
        },
        release
    );

    let SpendOutcome::Done(first) = first.unwrap() else {
        panic!("a live token was not rotated");
    };
    assert_eq!(
        (first.user.username.as_str(), first.spent_at),
        ("drummer", Some(now))
    );
    // The same token twice: the first spends it, the second finds it spent.
    assert!(matches!(twin.unwrap(), SpendOutcome::NotLive(Some(t)) if t.spent_at == Some(now)));
    assert!(matches!(unknown.unwrap(), SpendOutcome::NotLive(None)));
    let SpendOutcome::Done(other) = other.unwrap() else {
        panic!("another member's live token was not rotated");
    };
    assert_eq!(other.user.username, "manager");
    let successor = |hash| find_token(&app.state.db, hash);
    let live = successor("successor-1").await.unwrap().unwrap();
    assert_eq!((live.family_id, live.spent_at), (first.family_id, None));
    assert!(successor("successor-4").await.unwrap().is_some());
    for never in ["successor-2", "successor-3"] {
        assert!(successor(never).await.unwrap().is_none(), "{never}");
    }
    let audited: Vec<(String, String)> = sqlx::query_as(
        "SELECT subject_id, ip FROM audit_events WHERE kind = 'refreshed' ORDER BY ip",
    )
    .fetch_all(&app.state.db)
    .await
    .unwrap();
    assert_eq!(
        audited,
        [
            (first.user.id, "ip of successor-1".to_owned()),
            (other.user.id, "ip of successor-4".to_owned()),
        ]
    );
}
