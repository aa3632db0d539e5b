//! The `SpendLive` implementation chosen at start-up (see `db::spend`).

use super::{
    DbResult, Pool,
    group_commit::GroupCommit,
    refresh::SpendOutcome,
    refresh_batch::RefreshBatcher,
    spend::{OneByOne, RotationRequest, SpendLive},
};

/// The implementation chosen at start-up.
pub enum Spender {
    OneByOne(OneByOne),
    Batched(RefreshBatcher),
}

impl Spender {
    /// SQLite batches; PostgreSQL commits in its own process and has
    /// connections to spare, so it goes one by one.
    pub fn for_backend(pool: &Pool, sqlite: bool) -> Spender {
        if sqlite {
            Spender::Batched(GroupCommit::start(pool.clone()))
        } else {
            Spender::OneByOne(OneByOne::new(pool.clone()))
        }
    }
}

impl SpendLive for Spender {
    async fn spend_if_live(&self, request: RotationRequest) -> DbResult<SpendOutcome> {
        match self {
            Spender::OneByOne(one) => one.spend_if_live(request).await,
            Spender::Batched(batcher) => batcher.spend_if_live(request).await,
        }
    }
}
