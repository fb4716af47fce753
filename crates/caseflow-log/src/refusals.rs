//! Publishes the server refused for lack of permission.
//!
//! nats-server drops a message its user may not publish and says so only asynchronously
//! (`-ERR 'Permissions Violation for Publish to "<subject>"'`); the request or JetStream publish
//! would otherwise wait for a reply that never comes, and fail with a timeout that does not say
//! why. The connection's event callback reports each refusal here, and whoever waits on a
//! reply for that subject is told at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use futures::channel::oneshot;

const PREFIX: &str = "Permissions Violation for Publish to ";

/// The subject a server error refused, if it is a publish permission violation.
pub(crate) fn refused_subject(server_error: &str) -> Option<&str> {
    let rest = server_error.strip_prefix(PREFIX)?;
    Some(rest.trim().trim_matches('"'))
}

/// Who is waiting for a reply to a publish on which subject.
#[derive(Default)]
pub(crate) struct Refusals {
    waiting: Mutex<Waiting>,
}

#[derive(Default)]
struct Waiting {
    /// Exact subjects (appends, stream info).
    exact: HashMap<String, Vec<oneshot::Sender<String>>>,
    /// Subject prefixes (JetStream API calls whose subject carries generated names).
    prefixes: Vec<(String, oneshot::Sender<String>)>,
}

impl Refusals {
    /// Watches publishes to `subject` until the returned watch is dropped.
    pub(crate) fn watch(self: &Arc<Self>, subject: &str) -> Watch {
        let (tx, rx) = oneshot::channel();
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        waiting
            .exact
            .entry(subject.to_owned())
            .or_default()
            .push(tx);
        Watch {
            refusals: self.clone(),
            key: Key::Exact(subject.to_owned()),
            refused: rx,
        }
    }

    /// Watches publishes to any subject starting with `prefix`.
    pub(crate) fn watch_prefix(self: &Arc<Self>, prefix: &str) -> Watch {
        let (tx, rx) = oneshot::channel();
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        waiting.prefixes.push((prefix.to_owned(), tx));
        Watch {
            refusals: self.clone(),
            key: Key::Prefix,
            refused: rx,
        }
    }

    /// The server refused a publish to `subject`: tells everyone waiting on it. False when
    /// nobody was.
    pub(crate) fn refused(&self, subject: &str) -> bool {
        let mut told = false;
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(senders) = waiting.exact.remove(subject) {
            for tx in senders {
                told |= tx.send(subject.to_owned()).is_ok();
            }
        }
        let (hit, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut waiting.prefixes)
            .into_iter()
            .partition(|(prefix, _)| subject.starts_with(prefix.as_str()));
        waiting.prefixes = kept;
        for (_, tx) in hit {
            told |= tx.send(subject.to_owned()).is_ok();
        }
        told
    }
}

enum Key {
    Exact(String),
    Prefix,
}

/// A wait for a refusal; resolves with the refused subject. Forgotten when dropped.
pub(crate) struct Watch {
    refusals: Arc<Refusals>,
    key: Key,
    pub(crate) refused: oneshot::Receiver<String>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.refused.close();
        let mut waiting = self
            .refusals
            .waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match &self.key {
            Key::Exact(subject) => {
                if let Some(senders) = waiting.exact.get_mut(subject) {
                    senders.retain(|tx| !tx.is_canceled());
                    if senders.is_empty() {
                        waiting.exact.remove(subject);
                    }
                }
            }
            Key::Prefix => waiting.prefixes.retain(|(_, tx)| !tx.is_canceled()),
        }
    }
}
