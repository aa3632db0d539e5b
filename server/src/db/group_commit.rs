//! Group commit on SQLite: writes that arrive together share one transaction.
//!
//! On SQLite a small write's fixed costs outweigh its statements: every query
//! is a round trip to the connection's own thread (a hand-over each way), and
//! every transaction a commit (WAL frames written and, with
//! `synchronous = FULL`, synced). Under load, most of a refresh's or a song
//! patch's CPU went to thread wake-ups and context switches, and its latency
//! to waiting for the commits queued ahead of it (`scripts/bench.sh refresh
//! patch`; figures in README, Performance).
//!
//! So such writes queue here, and one task runs whatever has queued as one
//! transaction: a few round trips and one commit for up to `MAX_BATCH` writes.
//! Nobody waits for a batch to fill: an idle server runs a batch of one, and
//! the writes that arrive while a batch runs form the next one.
//!
//! What a batch does is a `Batch`: `refresh_batch` (spend refresh tokens) and
//! `patch_batch` (the drummer's tempo and notes).

use std::future::Future;

use sqlx::AnyConnection;
use tokio::sync::{mpsc, oneshot};

use super::{DbError, Pool};

/// The most writes in one transaction: the benchmark's 32 connections fit
/// in one, and a longer batch would hold SQLite's one connection longer.
const MAX_BATCH: usize = 32;

/// One kind of write that can be batched.
pub trait Batch: 'static {
    type Job: Send + 'static;
    /// What one job's caller gets back.
    type Answer: Send + 'static;

    /// Runs `jobs` as one transaction on `conn`: each job's answer, in order,
    /// once committed; an error when the batch as a whole failed.
    fn run(
        conn: &mut AnyConnection,
        jobs: &[Self::Job],
    ) -> impl Future<Output = Result<Vec<Self::Answer>, DbError>> + Send;

    /// The answer of a job whose batch failed or could not run.
    fn failed(cause: DbError) -> Self::Answer;
}

struct Queued<B: Batch> {
    job: B::Job,
    reply: oneshot::Sender<B::Answer>,
}

/// The handle of the task that runs the batches; the task ends with the last handle.
pub struct GroupCommit<B: Batch> {
    queue: mpsc::Sender<Queued<B>>,
}

impl<B: Batch> GroupCommit<B> {
    pub fn start(pool: Pool) -> GroupCommit<B> {
        let (queue, jobs) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run_batches::<B>(pool, jobs));
        GroupCommit { queue }
    }

    /// Queues `job` and waits for its batch. The batch runs in its own task,
    /// so a client hanging up cannot stop it between its BEGIN and COMMIT.
    pub async fn submit(&self, job: B::Job) -> B::Answer {
        let (reply, answer) = oneshot::channel();
        if self.queue.send(Queued { job, reply }).await.is_err() {
            return B::failed(stopped());
        }
        answer.await.unwrap_or_else(|_| B::failed(stopped()))
    }
}

/// The batch task is gone: the server is shutting down.
fn stopped() -> DbError {
    DbError::Unavailable(sqlx::Error::PoolClosed)
}

async fn run_batches<B: Batch>(pool: Pool, mut queue: mpsc::Receiver<Queued<B>>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    let mut replies = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let conn = pool.acquire().await;
        // Writes that queued while the connection was busy join this batch.
        while batch.len() < MAX_BATCH {
            let Ok(queued) = queue.try_recv() else { break };
            batch.push(queued);
        }
        // Nobody is waiting for these answers. For a refresh it matters: a
        // client that never gets its successor would present the spent token
        // next, and that could look like reuse.
        for Queued { job, reply } in batch.drain(..) {
            if !reply.is_closed() {
                jobs.push(job);
                replies.push(reply);
            }
        }
        if jobs.is_empty() {
            continue;
        }
        let outcome = match conn {
            Ok(mut conn) => {
                let outcome = B::run(&mut conn, &jobs).await;
                if outcome.is_err() {
                    // A batch that failed part-way may have left its
                    // transaction open: drop the connection rather than
                    // reason about its state.
                    conn.close_on_drop();
                }
                outcome
            }
            Err(error) => Err(error.into()),
        };
        jobs.clear();
        // A send fails only when the client hung up: nobody is left to tell.
        match outcome {
            Ok(answers) => {
                for (reply, answer) in replies.drain(..).zip(answers) {
                    let _ = reply.send(answer);
                }
            }
            // sqlx errors cannot be cloned: each waiter gets the cause in words,
            // and the batch's failure is worth a retry (a 503) to each of them.
            Err(error) => {
                let error = match &error {
                    DbError::Unavailable(cause) | DbError::Query(cause) => cause.to_string(),
                };
                for reply in replies.drain(..) {
                    let cause = sqlx::Error::Protocol(format!("write batch failed: {error}"));
                    let _ = reply.send(B::failed(DbError::Unavailable(cause)));
                }
            }
        }
    }
}
