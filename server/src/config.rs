//! Typed settings, read from the environment once at start-up and validated
//! there: a bad value stops the server with one line naming the variable.

use std::{fmt, net::SocketAddr, time::Duration};

use crate::{auth::sealing::KekSource, proxies::TrustedProxies};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub listen_addr: SocketAddr,
    pub database_url: String,
    pub environment: Environment,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    /// How long after a refresh the same refresh token is still honoured
    /// (two tabs refreshing at once) instead of counting as reuse.
    pub refresh_grace: Duration,
    /// The origin browsers use (`scheme://host:port`): checked against `Origin`
    /// on the routes that read or set the session's cookies
    /// (`is_public_origin`), and it decides whether cookies are `Secure`.
    pub public_origin: String,
    /// A request that takes longer (a slow client trickling its body, say) is
    /// answered 408 and dropped, so it cannot hold a connection forever.
    pub request_timeout: Duration,
    /// A request's head (line and headers) must arrive whole within this,
    /// and an idle keep-alive connection closes after it.
    pub head_timeout: Duration,
    /// Connections one client address may hold open at once (a trusted
    /// proxy's are not counted: it carries many clients).
    pub connections_per_client: usize,
    /// Audit events older than this are deleted.
    pub audit_retention: Duration,
    /// The JWT `iss` and `aud`.
    pub issuer: String,
    /// Where cargo-leptos put the built site (`/pkg`, the stylesheet).
    pub site_root: String,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
    /// Where the key-encryption key comes from (`auth::sealing`).
    pub kek: KekSource,
    /// Create the demo members in an empty database: development only, and
    /// only on a loopback address unless `BACKSTAGE_DEMO_MEMBERS=1` (their
    /// password is published, so on a public address anyone could log in).
    pub demo_members: bool,
    /// Where `/metrics` is served instead of the main address (keeps it off
    /// the public port); `None`: on the main address.
    pub metrics_addr: Option<SocketAddr>,
}

/// A setting that could not be used, with the variable that holds it.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}: {}", self.variable, self.problem)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads the process environment (after `.env`, which `main` loads).
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests can pass a map.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &'static str, default: &str| {
            lookup(name)
                .filter(|value| !value.trim().is_empty())
                .unwrap_or_else(|| default.to_string())
        };
        let invalid = |variable, problem: String| ConfigError { variable, problem };

        let listen_addr: SocketAddr = get("LEPTOS_SITE_ADDR", "127.0.0.1:3000")
            .parse()
            .map_err(|e| invalid("LEPTOS_SITE_ADDR", format!("{e} (expected host:port)")))?;
        let environment = match get("BACKSTAGE_ENV", "development").as_str() {
            "development" => Environment::Development,
            "production" => Environment::Production,
            other => {
                return Err(invalid(
                    "BACKSTAGE_ENV",
                    format!("{other:?} (expected development or production)"),
                ));
            }
        };
        // A whole number (of seconds, of days for the retention), at least 1.
        let number = |variable: &'static str, default: &str, max: u64| {
            let text = get(variable, default);
            match text.parse::<u64>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(invalid(
                    variable,
                    format!("{text:?} (expected a whole number from 1 to {max})"),
                )),
            }
        };
        let seconds = |variable: &'static str, default: &str, max: u64| {
            number(variable, default, max).map(Duration::from_secs)
        };
        let access_ttl = seconds("BACKSTAGE_ACCESS_TTL_SECS", "300", 24 * 3600)?;
        let refresh_ttl = seconds("BACKSTAGE_REFRESH_TTL_SECS", "2592000", 365 * 24 * 3600)?;
        let refresh_grace = match get("BACKSTAGE_REFRESH_GRACE_SECS", "5").as_str() {
            "0" => Duration::ZERO,
            _ => seconds("BACKSTAGE_REFRESH_GRACE_SECS", "5", 60)?,
        };
        let request_timeout = seconds("BACKSTAGE_REQUEST_TIMEOUT_SECS", "30", 3600)?;
        let head_timeout = seconds("BACKSTAGE_HEAD_TIMEOUT_SECS", "10", 300)?;
        let connections_per_client =
            number("BACKSTAGE_CONNECTIONS_PER_CLIENT", "256", 100_000)? as usize;
        let retention_days = number("BACKSTAGE_AUDIT_RETENTION_DAYS", "90", 36_500)?;
        let audit_retention = Duration::from_secs(retention_days * 24 * 3600);
        let public_origin = get("BACKSTAGE_PUBLIC_ORIGIN", &format!("http://{listen_addr}"));
        let public_origin = public_origin.trim_end_matches('/').to_string();
        let scheme_ok =
            public_origin.starts_with("http://") || public_origin.starts_with("https://");
        if !scheme_ok || public_origin.matches('/').count() != 2 {
            return Err(invalid(
                "BACKSTAGE_PUBLIC_ORIGIN",
                format!("{public_origin:?} (expected scheme://host[:port] with no path)"),
            ));
        }
        let database_url = get("DATABASE_URL", "sqlite:data/backstage.db");
        if !(database_url.starts_with("sqlite:") || database_url.starts_with("postgres")) {
            return Err(invalid(
                "DATABASE_URL",
                "expected a sqlite: or postgres:// URL".to_string(),
            ));
        }
        let trusted_proxies = TrustedProxies::parse(&get("BACKSTAGE_TRUSTED_PROXIES", ""))
            .map_err(|problem| invalid("BACKSTAGE_TRUSTED_PROXIES", problem))?;
        let kek = match (lookup("BACKSTAGE_KEK"), lookup("BACKSTAGE_KEK_FILE")) {
            (Some(key), _) if !key.trim().is_empty() => KekSource::Inline(key),
            (_, Some(file)) if !file.trim().is_empty() => KekSource::File(file.into()),
            _ if environment == Environment::Production => {
                return Err(invalid(
                    "BACKSTAGE_KEK_FILE",
                    "production needs a key-encryption key (BACKSTAGE_KEK_FILE or BACKSTAGE_KEK; see README, Operations)".to_string(),
                ));
            }
            _ => KekSource::CreateIfMissing(default_kek_file(&database_url)),
        };
        let metrics_addr = match get("BACKSTAGE_METRICS_ADDR", "").as_str() {
            "" => None,
            text => Some(text.parse().map_err(|e| {
                invalid(
                    "BACKSTAGE_METRICS_ADDR",
                    format!("{e} (expected host:port)"),
                )
            })?),
        };
        let demo_members = environment == Environment::Development
            && (listen_addr.ip().is_loopback() || get("BACKSTAGE_DEMO_MEMBERS", "0") == "1");
        let config = Config {
            kek,
            demo_members,
            metrics_addr,
            listen_addr,
            database_url,
            environment,
            access_ttl,
            refresh_ttl,
            refresh_grace,
            audit_retention,
            request_timeout,
            head_timeout,
            connections_per_client,
            issuer: get("BACKSTAGE_ISSUER", &public_origin),
            public_origin,
            site_root: get("LEPTOS_SITE_ROOT", "target/site"),
            trusted_proxies,
        };
        // Plain-http cookies can be read and replayed by anyone on the network.
        if config.environment == Environment::Production && !config.secure_cookies() {
            return Err(invalid(
                "BACKSTAGE_PUBLIC_ORIGIN",
                "production requires an https:// origin (Secure cookies)".to_string(),
            ));
        }
        Ok(config)
    }

    /// Whether a request's `Origin` is this app's (the CSRF check). On
    /// plain-http loopback, `localhost` and `127.0.0.1` with our port are both
    /// this server on this machine: a browser pointed at either spelling is
    /// ours, and no other site can serve a page at either, so accepting both
    /// opens nothing to a forging site.
    pub fn is_public_origin(&self, origin: &[u8]) -> bool {
        fn port_on_loopback(origin: &[u8]) -> Option<&[u8]> {
            origin
                .strip_prefix(b"http://127.0.0.1:")
                .or_else(|| origin.strip_prefix(b"http://localhost:"))
        }
        origin == self.public_origin.as_bytes()
            || matches!(
                (port_on_loopback(origin), port_on_loopback(self.public_origin.as_bytes())),
                (Some(theirs), Some(ours)) if theirs == ours
            )
    }

    /// `Secure` is dropped only when the browser reaches us over plain http.
    pub fn secure_cookies(&self) -> bool {
        self.public_origin.starts_with("https://")
    }

    /// The refresh cookie's name. On https it carries the `__Secure-` prefix:
    /// browsers then refuse it unless it was set Secure over https, so a
    /// sibling subdomain on plain http cannot plant one (cookie tossing).
    pub fn refresh_cookie_name(&self) -> &'static str {
        if self.secure_cookies() {
            "__Secure-backstage_refresh"
        } else {
            "backstage_refresh"
        }
    }

    /// The session hint's name: `__Host-` on https (Secure, `Path=/`, and no
    /// `Domain`, so no other host can set or overwrite it).
    pub fn session_hint_cookie_name(&self) -> &'static str {
        if self.secure_cookies() {
            "__Host-backstage_session"
        } else {
            app::session::SESSION_HINT_COOKIE
        }
    }
}

/// Development's key-encryption key: next to the SQLite file, or under `data/`.
fn default_kek_file(database_url: &str) -> std::path::PathBuf {
    let sqlite_file = database_url
        .strip_prefix("sqlite:")
        .map(|rest| {
            rest.trim_start_matches("//")
                .split('?')
                .next()
                .unwrap_or_default()
        })
        .filter(|path| !path.is_empty() && !path.starts_with(":memory:"));
    let folder = sqlite_file
        .and_then(|path| std::path::Path::new(path).parent())
        .filter(|folder| !folder.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("data"));
    folder.join("backstage.kek")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_serve_plain_http_on_loopback() {
        let config = config(&[]).unwrap();
        assert_eq!(config.listen_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(config.public_origin, "http://127.0.0.1:3000");
        assert_eq!(config.database_url, "sqlite:data/backstage.db");
        assert_eq!(config.access_ttl, Duration::from_secs(300));
        assert!(!config.secure_cookies());
    }

    #[test]
    fn on_loopback_either_spelling_of_the_host_is_our_origin() {
        let loopback = config(&[]).unwrap();
        for ours in ["http://127.0.0.1:3000", "http://localhost:3000"] {
            assert!(loopback.is_public_origin(ours.as_bytes()), "{ours}");
        }
        for theirs in [
            "http://localhost:3001",
            "http://localhost:30000",
            "https://localhost:3000",
            "http://127.0.0.1.evil.example:3000",
            "http://localhost.evil.example:3000",
            "null",
        ] {
            assert!(!loopback.is_public_origin(theirs.as_bytes()), "{theirs}");
        }
        let public = config(&[("BACKSTAGE_PUBLIC_ORIGIN", "https://backstage.example")]).unwrap();
        assert!(public.is_public_origin(b"https://backstage.example"));
        assert!(!public.is_public_origin(b"http://localhost:3000"));
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let error = config(&[("BACKSTAGE_ACCESS_TTL_SECS", "soon")]).unwrap_err();
        assert_eq!(error.variable, "BACKSTAGE_ACCESS_TTL_SECS");
        let error = config(&[("LEPTOS_SITE_ADDR", "nowhere")]).unwrap_err();
        assert_eq!(error.variable, "LEPTOS_SITE_ADDR");
        let error = config(&[("BACKSTAGE_ENV", "staging")]).unwrap_err();
        assert_eq!(error.variable, "BACKSTAGE_ENV");
        let error = config(&[("BACKSTAGE_TRUSTED_PROXIES", "10.0.0.1, lb")]).unwrap_err();
        assert_eq!(error.variable, "BACKSTAGE_TRUSTED_PROXIES");
        assert!(error.to_string().contains("\"lb\""), "{error}");
    }

    #[test]
    fn development_keeps_its_kek_next_to_the_database_and_production_needs_one() {
        let dev = config(&[("DATABASE_URL", "sqlite:/srv/band/backstage.db")]).unwrap();
        assert_eq!(
            dev.kek,
            KekSource::CreateIfMissing("/srv/band/backstage.kek".into())
        );
        let error = config(&[
            ("BACKSTAGE_ENV", "production"),
            ("BACKSTAGE_PUBLIC_ORIGIN", "https://backstage.example"),
        ])
        .unwrap_err();
        assert_eq!(error.variable, "BACKSTAGE_KEK_FILE");
        let prod = config(&[
            ("BACKSTAGE_ENV", "production"),
            ("BACKSTAGE_PUBLIC_ORIGIN", "https://backstage.example"),
            ("BACKSTAGE_KEK_FILE", "/etc/backstage/kek"),
        ])
        .unwrap();
        assert_eq!(prod.kek, KekSource::File("/etc/backstage/kek".into()));
        assert!(!prod.demo_members);
    }

    #[test]
    fn demo_members_only_on_loopback_unless_asked_for() {
        assert!(config(&[]).unwrap().demo_members);
        assert!(
            !config(&[("LEPTOS_SITE_ADDR", "0.0.0.0:3000")])
                .unwrap()
                .demo_members
        );
        let opted_in = config(&[
            ("LEPTOS_SITE_ADDR", "0.0.0.0:3000"),
            ("BACKSTAGE_DEMO_MEMBERS", "1"),
        ]);
        assert!(opted_in.unwrap().demo_members);
    }

    #[test]
    fn production_refuses_insecure_cookies() {
        let error = config(&[
            ("BACKSTAGE_ENV", "production"),
            ("BACKSTAGE_KEK_FILE", "/etc/backstage/kek"),
        ])
        .unwrap_err();
        assert_eq!(error.variable, "BACKSTAGE_PUBLIC_ORIGIN");
        let ok = config(&[
            ("BACKSTAGE_ENV", "production"),
            ("BACKSTAGE_PUBLIC_ORIGIN", "https://backstage.example/"),
            (
                "BACKSTAGE_KEK",
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            ),
        ])
        .unwrap();
        assert!(ok.secure_cookies());
        assert_eq!(ok.public_origin, "https://backstage.example");
    }
}
