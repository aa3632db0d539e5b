//! A private PostgreSQL server that a test may stop and start again (the
//! shared one of `scripts/with-postgres.sh` serves every other test at once).

use std::{path::PathBuf, process::Command};

pub struct PrivatePostgres {
    pub url: String,
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    folder: tempfile::TempDir,
}

impl PrivatePostgres {
    /// Creates and starts a throwaway cluster on a free loopback port.
    pub fn start() -> PrivatePostgres {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL is installed (scripts/setup.sh)")
            .filter_map(|entry| entry.ok().map(|e| e.path().join("bin")))
            .filter(|bin| bin.join("initdb").exists())
            .max_by_key(|bin| {
                let version = bin.parent().unwrap().file_name().unwrap();
                version.to_string_lossy().parse::<u32>().unwrap_or(0)
            })
            .expect("an initdb under /usr/lib/postgresql/*/bin");
        let folder = tempfile::tempdir().unwrap();
        if as_root() {
            // PostgreSQL refuses to run as root.
            run(Command::new("chown").arg("postgres").arg(folder.path()));
        }
        let data = folder.path().join("data");
        let port = super::free_port();
        let postgres = PrivatePostgres {
            url: format!("postgres://backstage@127.0.0.1:{port}/postgres"),
            bin,
            data,
            port,
            folder,
        };
        run(postgres
            .as_owner("initdb")
            .arg("-D")
            .arg(&postgres.data)
            .args(["-U", "backstage", "--auth=trust", "--no-sync"]));
        postgres.start_again();
        postgres
    }

    /// Stops the server (fast shutdown: connections are cut).
    pub fn stop(&self) {
        run(self
            .as_owner("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "fast", "-w", "stop"]));
    }

    pub fn start_again(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.folder.path().display()
        );
        run(self
            .as_owner("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .arg("-l")
            .arg(self.folder.path().join("server.log"))
            .args(["-w", "-o", &options, "start"]));
    }

    fn as_owner(&self, tool: &str) -> Command {
        let tool = self.bin.join(tool);
        if as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(tool);
            command
        } else {
            Command::new(tool)
        }
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self
            .as_owner("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "stop"])
            .output();
    }
}

fn as_root() -> bool {
    // SAFETY: getuid has no preconditions and cannot fail.
    unsafe { libc::getuid() == 0 }
}

fn run(command: &mut Command) {
    let output = command.output().expect("the PostgreSQL tool runs");
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
