//! What Fulcio needs of a certificate transparency log, and no more: the composition root
//! (`crate::Stack`) hands it the stack's CT logs behind this trait, so Fulcio names no log.

use std::future::Future;
use std::pin::Pin;

use formats::ct::{Sct, SignedEntry};

/// Why the log refused or failed an entry: the log's own error, kept whole for its message.
pub type LogError = Box<dyn std::error::Error + Send + Sync>;

/// An SCT on its way: the entry is durable once it resolves.
pub type Logging<'a> = Pin<Box<dyn Future<Output = Result<Sct, LogError>> + Send + 'a>>;

/// A CT log as Fulcio uses it (RFC 6962). An implementation must have the entry durably in
/// its tree before it answers an SCT (a maximum merge delay of zero), and must answer a
/// resubmitted entry with an SCT that verifies too.
pub trait CertificateLog: Send + Sync + std::fmt::Debug {
    /// Accepts chains that end at this DER root from now on.
    fn add_root(&self, root_der: Vec<u8>);

    /// `add-pre-chain`: logs a precertificate chain (precertificate, then its CA's chain, DER)
    /// and answers its SCT.
    fn log_precertificate<'a>(&'a self, chain: &'a [Vec<u8>]) -> Logging<'a>;

    /// `add-chain`: logs a final certificate chain (DER, leaf first) and answers its SCT.
    fn log_certificate<'a>(&'a self, chain: &'a [Vec<u8>]) -> Logging<'a>;

    /// The current log's SCT over `entry` at `timestamp` (ms), logging nothing: what a CA the
    /// log does not know gets (a fault).
    fn sign_unlogged(&self, entry: &SignedEntry, timestamp: u64) -> Sct;
}
