//! `server` — serve Backstage (the default), or manage it:
//!
//! ```text
//! server                      serve on LEPTOS_SITE_ADDR
//! server create-user --username U --display-name D --role drummer|manager
//!                             (the password is read from standard input)
//! server rotate-keys          publish a new signing key; it signs in 75 s
//! server rotate-keys --emergency
//!                             a new key signs now; every older key is revoked
//! server rewrap-keys --new-kek-file PATH
//!                             re-seal the private keys under a new KEK
//! server backup PATH          copy a running SQLite database to a new file
//! ```

use std::{io::BufRead, process::ExitCode, sync::Arc};

use app::api::NewUser;
use server::{
    auth::{
        keys,
        sealing::{Kek, KekSource},
    },
    config::Config,
    db,
    http::users::create_user,
    startup::{Application, shutdown_signal},
};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tune_the_allocator();
    // A missing .env is normal; the environment alone is enough.
    let _ = dotenvy::dotenv();
    tracing_subscriber::fmt()
        // Colour codes only for a person at a terminal: not in log files, and
        // not paid for on every request's span.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => return fail(error),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        None | Some("serve") => serve(config).await,
        Some("create-user") => create_user_command(config, &args[1..]).await,
        Some("rotate-keys") => rotate_keys_command(config, &args[1..]).await,
        Some("rewrap-keys") => rewrap_keys_command(config, &args[1..]).await,
        Some("backup") => backup_command(config, &args[1..]).await,
        Some("-h" | "--help" | "help") => {
            println!("{}", USAGE);
            Ok(())
        }
        Some(other) => Err(format!("unknown command {other:?}\n{USAGE}").into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(error),
    }
}

const USAGE: &str = "usage: server [serve | create-user --username U --display-name D --role drummer|manager | rotate-keys [--emergency] | rewrap-keys --new-kek-file PATH | backup PATH]";

/// Two glibc defaults that suit this server badly:
/// - argon2 allocates 19 MiB per hash. glibc would serve those from its heaps
///   after the first free and keep them resident; above 1 MiB, allocate with
///   mmap instead, so the memory goes back to the OS when a hash is done.
/// - glibc gives up to 8 heaps ("arenas") per core to threads that contend,
///   and memory freed in one is not reused by another. An async server runs
///   its requests on one thread per core: one arena each is enough, and
///   idle live-event streams take less memory (measured by
///   `scripts/bench_streams.py`; figures in README, Performance). An
///   operator's own `MALLOC_ARENA_MAX` is left alone.
fn tune_the_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let arenas_chosen = std::env::var_os("MALLOC_ARENA_MAX").is_some();
        // SAFETY: mallopt only tunes the allocator; called before the server starts.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
            if !arenas_chosen {
                libc::mallopt(libc::M_ARENA_MAX, cores as libc::c_int);
            }
        }
    }
}

/// One clear line, no backtrace.
fn fail(error: impl std::fmt::Display) -> ExitCode {
    eprintln!("server: {error}");
    ExitCode::FAILURE
}

type CommandResult = Result<(), Box<dyn std::error::Error>>;

async fn serve(config: Config) -> CommandResult {
    let app = Application::build(config).await?;
    tracing::info!(address = %app.local_addr(), "listening");
    app.run_until(shutdown_signal()).await?;
    Ok(())
}

async fn create_user_command(config: Config, args: &[String]) -> CommandResult {
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .ok_or_else(|| format!("missing {name}\n{USAGE}"))
    };
    let (username, display_name, role) = (
        flag("--username")?,
        flag("--display-name")?,
        flag("--role")?,
    );
    let mut password = String::new();
    std::io::stdin().lock().read_line(&mut password)?;
    let password = password.trim_end_matches(['\r', '\n']).to_string();
    let errors =
        app::api::validation::validate_new_user(&username, &display_name, &role, &password);
    if let Some((field, problem)) = errors.iter().next() {
        return Err(format!("{field} {problem}").into());
    }
    let pool = db::connect(&config.database_url).await?;
    let new = NewUser {
        username,
        display_name,
        role,
        password,
    };
    let user = create_user(&pool, new, &db::audit::Origin::system())
        .await
        .map_err(|e| format!("could not create the user: {e:?}"))?;
    println!(
        "created {} ({}) with id {}",
        user.username, user.role, user.id
    );
    Ok(())
}

async fn rotate_keys_command(config: Config, args: &[String]) -> CommandResult {
    let rotation = match args {
        [] => keys::Rotation::Scheduled,
        [flag] if flag == "--emergency" => keys::Rotation::Emergency,
        _ => return Err(format!("rotate-keys takes only --emergency\n{USAGE}").into()),
    };
    let pool = db::connect(&config.database_url).await?;
    let kek = Arc::new(Kek::load(&config.kek)?);
    let store = keys::KeyStore::load(&pool, config.access_ttl, kek).await?;
    let kid = store
        .rotate(&pool, &db::audit::Origin::system(), rotation)
        .await?;
    match rotation {
        keys::Rotation::Scheduled => println!(
            "new signing key {kid}: published now, signs in {} s; older keys verify until their tokens expire",
            keys::PUBLISH_AHEAD_SECS
        ),
        keys::Rotation::Emergency => println!(
            "new signing key {kid} signs now; every older key is revoked: running servers refuse their tokens at once (within {:?} at most), and browsers sign in again silently",
            server::sync::LONGEST_KEY_POLL
        ),
    }
    Ok(())
}

/// Re-seals every stored private key under a new key-encryption key (a
/// new file is created when PATH does not exist). All keys or none.
async fn rewrap_keys_command(config: Config, args: &[String]) -> CommandResult {
    let [flag, path] = args else {
        return Err(format!("rewrap-keys needs --new-kek-file PATH\n{USAGE}").into());
    };
    if flag != "--new-kek-file" {
        return Err(format!("unknown flag {flag:?}\n{USAGE}").into());
    }
    let path = std::path::PathBuf::from(path);
    let new = if path.exists() {
        Kek::load(&KekSource::File(path.clone()))?
    } else {
        let new = Kek::generate();
        new.write_new_file(&path)?;
        new
    };
    let old = Kek::load(&config.kek)?;
    let pool = db::connect(&config.database_url).await?;
    let count = keys::rewrap(&pool, &old, &new).await?;
    println!(
        "re-sealed {count} signing key(s) under {}; set BACKSTAGE_KEK_FILE to it and restart every instance",
        path.display()
    );
    Ok(())
}

/// A consistent copy of the SQLite database, taken while the server runs.
/// The key-encryption key is not in it: back that up separately.
async fn backup_command(config: Config, args: &[String]) -> CommandResult {
    let [path] = args else {
        return Err(format!("backup needs PATH\n{USAGE}").into());
    };
    let pool = db::connect(&config.database_url).await?;
    let target = std::path::Path::new(path);
    db::backup(&pool, target).await?;
    let size = std::fs::metadata(target)?.len();
    println!(
        "wrote {} ({size} bytes); keep the key-encryption key with it, or its signing keys cannot be opened",
        target.display()
    );
    Ok(())
}
