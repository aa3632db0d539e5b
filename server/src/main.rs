//! `server` — serve Backstage (the default), or manage it. `server --help`
//! lists the commands; clap parses them.

use std::{io::BufRead, path::PathBuf, process::ExitCode, sync::Arc};

use app::api::NewUser;
use clap::{Parser, Subcommand};
use server::{
    accounts::create_user,
    auth::{
        keys,
        sealing::{Kek, KekSource},
    },
    config::Config,
    db,
    startup::{Application, shutdown_signal},
};
use tracing_subscriber::EnvFilter;

/// Backstage, the band setlist manager. Settings come from the environment
/// (and `.env`); see README, Configuration.
#[derive(Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve on LEPTOS_SITE_ADDR (the default).
    Serve,
    /// Add a member; the password is read from standard input.
    CreateUser {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        /// drummer or manager
        #[arg(long)]
        role: String,
    },
    /// Publish a new signing key; it signs once every instance has it.
    RotateKeys {
        /// A key leaked: a new key signs now and every older key is revoked.
        #[arg(long)]
        emergency: bool,
    },
    /// Re-seal the private signing keys under a new key-encryption key.
    RewrapKeys {
        /// Created when it does not exist.
        #[arg(long)]
        new_kek_file: PathBuf,
    },
    /// Copy a running SQLite database to a new file.
    Backup { path: PathBuf },
}

#[tokio::main]
async fn main() -> ExitCode {
    // Parsed first: `--help` and a mistyped command need no configuration.
    let cli = Cli::parse();
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
        Err(error) => return fail(&error),
    };
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::CreateUser {
            username,
            display_name,
            role,
        } => create_user_command(config, username, display_name, role).await,
        Command::RotateKeys { emergency } => rotate_keys_command(config, emergency).await,
        Command::RewrapKeys { new_kek_file } => rewrap_keys_command(config, new_kek_file).await,
        Command::Backup { path } => backup_command(config, &path).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(error.as_ref()),
    }
}

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

/// One clear line, no backtrace: the error and its causes.
fn fail(error: &dyn std::error::Error) -> ExitCode {
    eprint!("server: {error}");
    let mut source = error.source();
    while let Some(cause) = source {
        eprint!(": {cause}");
        source = cause.source();
    }
    eprintln!();
    ExitCode::FAILURE
}

type CommandResult = Result<(), Box<dyn std::error::Error>>;

async fn serve(config: Config) -> CommandResult {
    let app = Application::build(config).await?;
    tracing::info!(address = %app.local_addr(), "listening");
    app.run_until(shutdown_signal()).await?;
    Ok(())
}

async fn create_user_command(
    config: Config,
    username: String,
    display_name: String,
    role: String,
) -> CommandResult {
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
        instrument: String::new(),
    };
    let nobody = db::changes::Author::default();
    let user = create_user(&pool, new, &nobody, &db::audit::Origin::system()).await?;
    println!(
        "created {} ({}) with id {}",
        user.username, user.role, user.id
    );
    Ok(())
}

async fn rotate_keys_command(config: Config, emergency: bool) -> CommandResult {
    let rotation = if emergency {
        keys::Rotation::Emergency
    } else {
        keys::Rotation::Scheduled
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
async fn rewrap_keys_command(config: Config, path: PathBuf) -> CommandResult {
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
async fn backup_command(config: Config, target: &std::path::Path) -> CommandResult {
    let pool = db::connect(&config.database_url).await?;
    db::backup(&pool, target).await?;
    let size = std::fs::metadata(target)?.len();
    println!(
        "wrote {} ({size} bytes); keep the key-encryption key with it, or its signing keys cannot be opened",
        target.display()
    );
    Ok(())
}
