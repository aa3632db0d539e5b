//! Stopping without dropping work: on SIGTERM (a deploy, `docker stop`) the
//! server stops admitting requests — new ones are answered `503` with
//! `Retry-After`, so a load balancer or the browser retries elsewhere — lets
//! the ones in flight finish, and only then closes its connections. A request
//! that never finishes cannot hold the process: after `DRAIN_DEADLINE` it
//! shuts down regardless.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{
    extract::{Request, State},
    http::{HeaderValue, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use tokio::sync::Notify;

use crate::error::ApiError;

/// How long requests in flight may take to finish after SIGTERM.
pub const DRAIN_DEADLINE: Duration = Duration::from_secs(10);

#[derive(Default)]
pub struct Drain {
    draining: AtomicBool,
    in_flight: AtomicUsize,
    idle: Notify,
}

impl Drain {
    /// Stops admitting requests; completes when none is in flight, or at
    /// `DRAIN_DEADLINE`.
    pub async fn drain(&self) {
        self.draining.store(true, Ordering::SeqCst);
        let finished = async {
            loop {
                let idle = self.idle.notified();
                if self.in_flight.load(Ordering::SeqCst) == 0 {
                    return;
                }
                idle.await;
            }
        };
        if tokio::time::timeout(DRAIN_DEADLINE, finished)
            .await
            .is_err()
        {
            tracing::warn!(
                in_flight = self.in_flight.load(Ordering::SeqCst),
                "drain deadline passed; closing with requests in flight"
            );
        }
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }
}

/// Counts a request in flight until it is dropped (answered or abandoned).
struct InFlight<'a>(&'a Drain);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// Middleware: admits a request unless the server is draining.
pub async fn admit(State(drain): State<Arc<Drain>>, request: Request, next: Next) -> Response {
    drain.in_flight.fetch_add(1, Ordering::SeqCst);
    let in_flight = InFlight(&drain);
    // Checked after counting: a request admitted here is waited for.
    if drain.is_draining() {
        drop(in_flight);
        let mut refused = ApiError::Unavailable.into_response();
        refused
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return refused;
    }
    let response = next.run(request).await;
    drop(in_flight);
    response
}
