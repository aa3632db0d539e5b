//! Building the application from a `Config`: state, background sync, router,
//! listener. `main` and the integration tests both start the server this way.

use std::{future::Future, net::SocketAddr, sync::Arc};

use app::{
    App,
    api::{NewUser, validation::is_username_shaped},
    session::{SessionHint, TYPED_USERNAME_COOKIE, TypedUsername},
    shell,
};
use axum::{Router, http::HeaderValue};
use leptos::config::LeptosOptions;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tokio::{net::TcpListener, sync::Semaphore};
use tower_cookies::CookieManagerLayer;
use tower_http::trace::TraceLayer;

use crate::{
    accounts::{CreateUserError, create_user},
    auth::{keys, password, sealing::Kek, throttle::LoginThrottle, tokens},
    config::{Config, Environment},
    db::{self, patch_batch::SongPatcher, spender::Spender},
    http, lifecycle, listener,
    live::Live,
    metrics::Metrics,
    read_cache::ReadCache,
    state::{AppState, Inner},
    sync,
};

/// How long connections may take to close once the requests are drained.
const CLOSE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(5);

/// The password of the demo members created in development.
pub const DEMO_PASSWORD: &str = "backstage-pass-1";

pub struct Application {
    listener: TcpListener,
    router: Router,
    pub state: AppState,
}

impl Application {
    pub async fn build(config: Config) -> Result<Application, Box<dyn std::error::Error>> {
        let listener = std::net::TcpListener::bind(config.listen_addr)
            .map_err(|e| format!("cannot listen on {}: {e}", config.listen_addr))?;
        Self::build_on(config, listener).await
    }

    /// Builds the application on a socket that is already bound: the tests
    /// bind port 0 first, so no other process can take the port in between.
    pub async fn build_on(
        config: Config,
        listener: std::net::TcpListener,
    ) -> Result<Application, Box<dyn std::error::Error>> {
        listener.set_nonblocking(true)?;
        let listener = TcpListener::from_std(listener)?;
        let state = build_state(config).await?;
        sync::spawn(&state);
        Ok(Application {
            router: router(state.clone()),
            listener,
            state,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `shutdown` completes, then drains: new requests get 503
    /// while those in flight finish (`lifecycle`), and the connections close.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        if let Some(address) = self.state.config.metrics_addr {
            let metrics = http::metrics_router().with_state(self.state.clone());
            let listener = TcpListener::bind(address).await?;
            tracing::info!(%address, "serving /metrics");
            tokio::spawn(async move { axum::serve(listener, metrics).await });
        }
        let drained = Arc::new(tokio::sync::Notify::new());
        let state = self.state.clone();
        let signal_drained = drained.clone();
        let shutdown = async move {
            shutdown.await;
            state.drain.drain().await;
            signal_drained.notify_one();
        };
        let config = self.state.config.clone();
        let serve = listener::serve(self.listener, self.router, &config, shutdown);
        // An idle keep-alive connection closes at once; a client that holds
        // one open cannot keep the process alive past this.
        let give_up = async {
            drained.notified().await;
            tokio::time::sleep(CLOSE_DEADLINE).await;
        };
        tokio::select! {
            () = serve => {}
            () = give_up => {
                tracing::warn!("connections still open after the drain; closing anyway");
            }
        }
        Ok(())
    }
}

pub async fn build_state(config: Config) -> Result<AppState, Box<dyn std::error::Error>> {
    let pool = db::connect(&config.database_url)
        .await
        .map_err(|e| format!("cannot open the database: {e}"))?;
    let kek = Arc::new(Kek::load(&config.kek)?);
    let keys = keys::KeyStore::load(&pool, config.access_ttl, kek.clone()).await?;
    let twins = db::library::rekey(&pool).await?;
    if !twins.is_empty() {
        tracing::warn!(
            entries = ?twins,
            "library entries that look like another entry keep their old key: saving one is refused as a duplicate until it is renamed"
        );
    }
    match config.environment {
        Environment::Development if config.demo_members => seed_demo_members(&pool).await?,
        Environment::Development => tracing::warn!(
            address = %config.listen_addr,
            "not creating the demo members: their password is public and this address is not loopback (BACKSTAGE_DEMO_MEMBERS=1 overrides)"
        ),
        Environment::Production => refuse_demo_members(&pool).await?,
    }
    password::warm_up();
    let pkg_dir = std::path::Path::new(&config.site_root).join("pkg");
    let leptos = LeptosOptions::builder()
        .output_name("backstage")
        .site_root(config.site_root.as_str())
        .site_pkg_dir(format!("pkg/{}", http::assets::version(&pkg_dir)))
        .site_addr(config.listen_addr)
        .build();
    let sqlite = config.database_url.starts_with("sqlite:");
    let metrics = Metrics::new();
    let reads = ReadCache::new(
        metrics.read_cache_hits.clone(),
        metrics.read_cache_misses.clone(),
    );
    // On SQLite this instance publishes its own writes, in the counter's
    // order from where it stands (`Live::publish`).
    let live = if sqlite {
        Live::counting_from(db::setlists::change_counter(&pool).await?)
    } else {
        Live::default()
    };
    let state = AppState::new(Inner {
        verification: tokens::Verification::new(&config.issuer, config.access_ttl),
        successor_secret: kek.successor_secret(),
        // One instance on SQLite counts in memory; PostgreSQL deployments
        // share the counts, so the limits hold across instances.
        throttle: if sqlite {
            LoginThrottle::in_memory()
        } else {
            LoginThrottle::Shared(pool.clone())
        },
        refresh_spender: Spender::for_backend(&pool, sqlite),
        song_patcher: SongPatcher::for_backend(&pool, sqlite),
        db: pool,
        keys,
        revocations: Default::default(),
        reads,
        profiles: Default::default(),
        hashing: Semaphore::new(hashing_slots()),
        metrics,
        drain: Default::default(),
        live: Arc::new(live),
        changes_pushed_by_database: !sqlite,
        leptos,
        config,
    });
    sync::sync_revocations(&state).await?;
    Ok(state)
}

/// One password hash per core at a time; the rest of the logins queue briefly
/// or are shed (503).
fn hashing_slots() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The members created in development, with the role named by their
/// username, and what they play.
const DEMO_MEMBERS: [(&str, &str, &str); 2] = [
    ("drummer", "Dee the Drummer", "drums"),
    ("manager", "Max the Manager", "guitar"),
];

async fn seed_demo_members(pool: &db::Pool) -> Result<(), Box<dyn std::error::Error>> {
    if db::users::count(pool).await? > 0 {
        return Ok(());
    }
    let nobody = db::changes::Author::default();
    for (username, display_name, instrument) in DEMO_MEMBERS {
        let member = NewUser {
            username: username.into(),
            display_name: display_name.into(),
            role: username.into(),
            password: DEMO_PASSWORD.into(),
            instrument: instrument.into(),
        };
        match create_user(pool, member, &nobody, &db::audit::Origin::system()).await {
            // Another instance starting at the same moment created it first.
            Ok(_) | Err(CreateUserError::UsernameTaken) => {}
            Err(e) => return Err(format!("cannot create demo member {username}: {e:?}").into()),
        }
    }
    tracing::info!("created demo members drummer and manager (development only)");
    Ok(())
}

/// A database carried over from development would let anyone log in with
/// the published demo password: production refuses to serve it.
async fn refuse_demo_members(pool: &db::Pool) -> Result<(), Box<dyn std::error::Error>> {
    for (username, _, _) in DEMO_MEMBERS {
        let Some(member) = db::users::find_by_username(pool, username).await? else {
            continue;
        };
        let has_demo_password = password::verify(DEMO_PASSWORD.into(), Some(member.password_hash))
            .await
            .map_err(|e| format!("cannot check {username:?}'s password: {e:?}"))?;
        if has_demo_password {
            return Err(format!(
                "production refuses a database where member {username:?} has the demo password"
            )
            .into());
        }
    }
    Ok(())
}

/// The whole application as a tower service: the API, the pages and the
/// static site, under every middleware. The fuzz targets call it directly.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos.clone();
    let hint_cookie = state.config.session_hint_cookie_name();
    let hints = first_load_hints(&state.leptos);
    let page_context = move || provide_page_context(hint_cookie, hints.as_ref());
    let metrics_on_own_address = state.config.metrics_addr.is_some();
    let app = Router::new()
        .merge(http::router(metrics_on_own_address))
        .merge(http::assets::router(&state))
        .merge(http::assets::worker_router(&state))
        .leptos_routes_with_context(&state, routes, page_context.clone(), move || {
            shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(page_context, shell))
        .layer(CookieManagerLayer::new())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::headers::time_limit,
        ))
        .layer(axum::middleware::from_fn(http::headers::size_limits));
    http::headers::security_headers(app, state.config.secure_cookies())
        .layer(TraceLayer::new_for_http())
        .layer(axum::middleware::from_fn_with_state(
            state.drain.clone(),
            lifecycle::admit,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::observe::observe,
        ))
        .with_state(state)
}

/// The `Link` header of every page: the wasm and its JavaScript, which the
/// page's head names too. From the header, the browser asks for them as soon
/// as the response begins, before it has read the HTML: on a venue's network
/// the wasm is the wait (README, Performance, has the figures). The names are the ones leptos's `HydrationScripts` writes
/// into the head; with hashed file names (`hash_files`, off here) they would
/// not be, so there are no hints then.
fn first_load_hints(options: &LeptosOptions) -> Option<HeaderValue> {
    if options.hash_files {
        return None;
    }
    let pkg = format!("/{}/{}", options.site_pkg_dir, options.output_name);
    // leptos names the wasm `…_bg` unless cargo-leptos set the output name.
    let wasm_suffix = if option_env!("LEPTOS_OUTPUT_NAME").is_some() {
        ""
    } else {
        "_bg"
    };
    // `crossorigin` as the head's links have it: the requests must match, or
    // the browser fetches each file twice.
    let hints = format!(
        "<{pkg}{wasm_suffix}.wasm>; rel=preload; as=fetch; type=\"application/wasm\"; crossorigin, \
         <{pkg}.js>; rel=modulepreload; crossorigin"
    );
    // A site path that no header may carry (LEPTOS_SITE_PKG_DIR) loses the hints only.
    HeaderValue::try_from(hints).ok()
}

/// Runs before a page renders: sets its nonce-based CSP and its `Link` header
/// (`hints`), and tells it whether the browser holds a session (the cookie
/// `hint_cookie`).
fn provide_page_context(hint_cookie: &'static str, hints: Option<&HeaderValue>) {
    use leptos::prelude::{provide_context, use_context};
    let page = leptos::nonce::use_nonce().zip(use_context::<leptos_axum::ResponseOptions>());
    if let Some((nonce, response)) = page {
        let policy = http::headers::page_csp(&nonce.to_string());
        if let Ok(value) = HeaderValue::try_from(policy) {
            response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
        }
        if let Some(hints) = hints {
            response.insert_header(axum::http::header::LINK, hints.clone());
        }
    }
    let Some(parts) = use_context::<axum::http::request::Parts>() else {
        return;
    };
    let cookie = |name| http::headers::cookie_values(&parts.headers, name).next();
    provide_context(SessionHint(cookie(hint_cookie) == Some("1")));
    // Only what could be a username reaches the page (a planted cookie too).
    if let Some(typed) = cookie(TYPED_USERNAME_COOKIE).filter(|name| is_username_shaped(name)) {
        // A page with someone's username in it: no cache may keep it.
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            let no_store = HeaderValue::from_static("no-store");
            response.insert_header(axum::http::header::CACHE_CONTROL, no_store);
        }
        provide_context(TypedUsername(typed.to_string()));
    }
}

/// Completes on Ctrl-C or SIGTERM (what `docker stop` and systemd send).
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: refusing new requests, finishing those in flight");
}
