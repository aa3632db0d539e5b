//! Creating band members: the one account operation that three callers
//! share (`POST /api/users`, the `create-user` command and the demo seed), so
//! it lives outside the HTTP layer. The other lifecycle changes (disable,
//! role, password) are single routes in `http::users`.

use app::api::NewUser;

use crate::{
    auth::{error::AuthError, password},
    clock::now,
    db::{
        self, DbError,
        audit::{AuditKind, Event, Origin},
        changes::Author,
        users::UserRow,
    },
};

#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("the username is already taken")]
    UsernameTaken,
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Database(#[from] DbError),
}

/// Creates a member whose fields were already validated, added `by` a
/// manager (nobody, for the command line and the demo seed); the password is
/// stored as an argon2id hash only, and the creation is audited.
pub async fn create_user(
    pool: &db::Pool,
    new: NewUser,
    by: &Author,
    origin: &Origin,
) -> Result<UserRow, CreateUserError> {
    let row = UserRow {
        id: uuid::Uuid::new_v4().to_string(),
        username: new.username,
        display_name: new.display_name,
        role: new.role,
        instrument: new.instrument,
        password_hash: password::hash(new.password).await?,
        tokens_valid_after_ms: 0,
        disabled_at: None,
    };
    let event = Event {
        kind: AuditKind::MemberCreated,
        origin,
        subject_id: Some(&row.id),
        detail: serde_json::json!({ "username": row.username, "role": row.role }),
    };
    if db::users::insert(pool, &row, by, now(), &event).await? {
        Ok(row)
    } else {
        Err(CreateUserError::UsernameTaken)
    }
}
