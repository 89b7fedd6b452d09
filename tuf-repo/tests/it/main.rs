//! tuf-repo's integration tests: determinism, stock TUF clients (python-tuf ngclient, tough)
//! and sigstore-python reading what we write.

mod common;
mod determinism;
mod legacy;
mod python;
mod tough_client;
