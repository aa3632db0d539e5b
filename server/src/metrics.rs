//! What an operator graphs and alerts on, in the Prometheus text format
//! (`GET /metrics`). Each application has its own registry (no global
//! recorder), so the tests can run several servers in one process.
//!
//! Labels are bounded sets — route templates, never raw paths; known methods;
//! fixed outcome names — so a scanner requesting random URLs cannot grow the
//! scrape without limit.

use std::time::Duration;

use axum::http::StatusCode;

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts,
    Registry, TextEncoder,
};

use crate::db::Pool;

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    request_seconds: HistogramVec,
    logins: IntCounterVec,
    refreshes: IntCounterVec,
    revocations: IntCounterVec,
    pub read_cache_hits: IntCounter,
    pub read_cache_misses: IntCounter,
    pool_connections: IntGauge,
    pool_in_use: IntGauge,
    pool_wait_seconds: Histogram,
    argon2_queue: IntGauge,
}

/// How a login ended.
#[derive(Clone, Copy)]
pub enum LoginOutcome {
    Ok,
    /// Wrong username or password (or an oversized one).
    Invalid,
    /// The right password for a disabled account.
    Disabled,
    Throttled,
    /// Refused unheard: every hashing slot stayed busy, or the database is away.
    Shed,
    /// A fault on our side (a 500).
    Error,
}

/// How a refresh ended.
#[derive(Clone, Copy)]
pub enum RefreshOutcome {
    Rotated,
    /// A concurrent refresh inside the grace window.
    Grace,
    ReuseDetected,
    Invalid,
}

/// What was revoked.
#[derive(Clone, Copy)]
pub enum Revoked {
    Member,
    Session,
}

const LATENCY_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

impl Metrics {
    pub fn new() -> Metrics {
        let registry =
            Registry::new_custom(Some("backstage".into()), None).expect("a valid metric prefix");
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let metric = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
            registry
                .register(Box::new(metric.clone()))
                .expect("registered once");
            metric
        };
        let gauge = |name: &str, help: &str| {
            let metric = IntGauge::new(name, help).expect("valid metric");
            registry
                .register(Box::new(metric.clone()))
                .expect("registered once");
            metric
        };
        let read_cache = counter(
            "read_cache_total",
            "Setlist reads answered from memory (hit) or from the database (miss)",
            &["result"],
        );
        let request_seconds = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "Time to answer, by route")
                .buckets(LATENCY_BUCKETS.to_vec()),
            &["route", "method"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(request_seconds.clone()))
            .expect("registered once");
        let pool_wait_seconds = Histogram::with_opts(
            HistogramOpts::new(
                "db_pool_wait_seconds",
                "Time the background sync waited for a database connection: a sample of what requests wait",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
        )
        .expect("valid metric");
        registry
            .register(Box::new(pool_wait_seconds.clone()))
            .expect("registered once");
        Metrics {
            requests: counter(
                "http_requests_total",
                "Answered requests by route template, method and status",
                &["route", "method", "status"],
            ),
            request_seconds,
            logins: counter("logins_total", "Logins by outcome", &["outcome"]),
            refreshes: counter("refreshes_total", "Refreshes by outcome", &["outcome"]),
            revocations: counter(
                "revocations_total",
                "Member cut-offs and ended sessions made through this instance",
                &["kind"],
            ),
            read_cache_hits: read_cache.with_label_values(&["hit"]),
            read_cache_misses: read_cache.with_label_values(&["miss"]),
            pool_connections: gauge("db_pool_connections", "Open database connections"),
            pool_in_use: gauge("db_pool_in_use", "Database connections lent out now"),
            pool_wait_seconds,
            argon2_queue: gauge(
                "argon2_queue_depth",
                "Logins waiting for a password-hashing slot",
            ),
            registry,
        }
    }

    /// Counts one answered request. `route` is the matched template.
    pub fn observe_request(&self, route: &str, method: &str, status: StatusCode, took: Duration) {
        self.requests
            .with_label_values(&[route, method, status.as_str()])
            .inc();
        self.request_seconds
            .with_label_values(&[route, method])
            .observe(took.as_secs_f64());
    }

    pub fn login(&self, outcome: LoginOutcome) {
        let label = match outcome {
            LoginOutcome::Ok => "ok",
            LoginOutcome::Invalid => "invalid",
            LoginOutcome::Disabled => "disabled",
            LoginOutcome::Throttled => "throttled",
            LoginOutcome::Shed => "shed",
            LoginOutcome::Error => "error",
        };
        self.logins.with_label_values(&[label]).inc();
    }

    pub fn refresh(&self, outcome: RefreshOutcome) {
        let label = match outcome {
            RefreshOutcome::Rotated => "rotated",
            RefreshOutcome::Grace => "grace",
            RefreshOutcome::ReuseDetected => "reuse_detected",
            RefreshOutcome::Invalid => "invalid",
        };
        self.refreshes.with_label_values(&[label]).inc();
    }

    pub fn revoked(&self, what: Revoked, count: usize) {
        let label = match what {
            Revoked::Member => "member",
            Revoked::Session => "session",
        };
        self.revocations
            .with_label_values(&[label])
            .inc_by(count as u64);
    }

    pub fn observe_pool_wait(&self, took: Duration) {
        self.pool_wait_seconds.observe(took.as_secs_f64());
    }

    /// Counts a login waiting for a hashing slot until the guard is dropped.
    pub fn queued_for_hashing(&self) -> QueuedForHashing<'_> {
        self.argon2_queue.inc();
        QueuedForHashing(&self.argon2_queue)
    }

    /// The scrape: every metric, the pool's gauges read now.
    pub fn render(&self, pool: &Pool) -> String {
        let size = i64::from(pool.size());
        self.pool_connections.set(size);
        self.pool_in_use.set(size - pool.num_idle() as i64);
        let mut text = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut text)
            .expect("metrics encode as text");
        String::from_utf8(text).expect("the text format is UTF-8")
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

pub struct QueuedForHashing<'a>(&'a IntGauge);

impl Drop for QueuedForHashing<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}
