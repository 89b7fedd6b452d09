//! The client conformance suite: drives Sigstore clients (through the [`Client`] trait) against
//! a sigbox [`stack::Stack`] started here, through scenarios (sign and verify their own bundles,
//! verify each other's, refuse tampered bundles, get the trusted root through the stack's TUF
//! repository and refuse a rolled-back or expired timestamp there, refuse what each fault serves,
//! keep working across key rotations), compares what each did with `expectations.json` (the
//! known client gaps), and reports the matrix as text, Markdown and JUnit XML.

mod clients;
mod expect;
mod report;
mod runner;
mod tamper;

pub use clients::{
    ALL_CLIENTS, CliProtocol, Client, Cosign, Gitsign, GitsignTrust, Outcome, SigboxLib, SignKind,
    SignRequest, Signs, SigstoreGo, SigstoreJava, SigstoreJs, SigstorePython, SigstoreRs,
    SigstoreRust, Tamper, Tools, VerifyRequest, client_from_spec,
};
pub use expect::{Expectations, Gap};
pub use report::{Case, Report, Status, Totals, Want};
pub use runner::{Config, default_rotations, run};
