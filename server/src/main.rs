//! `server` — serve Backstage (the default), or manage it:
//!
//! ```text
//! server                      serve on LEPTOS_SITE_ADDR
//! server create-user --username U --display-name D --role drummer|manager
//!                             (the password is read from standard input)
//! server rotate-keys          make a new signing key the signer
//! ```

use std::{io::BufRead, process::ExitCode};

use app::api::NewUser;
use server::{
    auth::keys,
    config::Config,
    db,
    http::users::create_user,
    startup::{Application, shutdown_signal},
};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    return_big_allocations_to_the_os();
    // A missing .env is normal; the environment alone is enough.
    let _ = dotenvy::dotenv();
    tracing_subscriber::fmt()
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
        Some("rotate-keys") => rotate_keys_command(config).await,
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

const USAGE: &str = "usage: server [serve | create-user --username U --display-name D --role drummer|manager | rotate-keys]";

/// argon2 allocates 19 MiB per hash. glibc would serve those from its heaps
/// after the first free and keep them resident; above 1 MiB, allocate with
/// mmap instead, so the memory goes back to the OS when a hash is done.
fn return_big_allocations_to_the_os() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only tunes the allocator; called before any other thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
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

async fn rotate_keys_command(config: Config) -> CommandResult {
    let pool = db::connect(&config.database_url).await?;
    keys::KeyStore::load(&pool, config.access_ttl).await?;
    let kid = keys::rotate(&pool, &db::audit::Origin::system()).await?;
    println!(
        "new signing key {kid}; running servers pick it up within {:?}",
        keys::KEY_POLL
    );
    Ok(())
}
