//! The client conformance suite: drives Sigstore clients (through the [`Client`] trait) against
//! a sigbox [`stack::Stack`] started here, through scenarios (sign and verify their own bundles,
//! verify each other's, refuse tampered bundles, get the trusted root through the stack's TUF
//! repository and refuse a rolled-back or expired timestamp there, refuse what each fault serves,
//! keep working across key rotations), compares what each did with `expectations.json` (the
//! known client gaps), and reports the matrix as text, Markdown and JUnit XML.

mod adapter;
mod expect;
mod report;
mod runner;
mod tamper;

pub use adapter::{
    CliProtocol, Client, Outcome, SigboxLib, SignKind, SignRequest, SigstoreJs, SigstorePython,
    SigstoreRs, Tools, VerifyRequest, client_from_spec,
};
pub use expect::{Expectations, Gap};
pub use report::{Case, Report, Status, Totals, Want};
pub use runner::{Config, run};
