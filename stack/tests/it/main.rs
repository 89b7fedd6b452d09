//! The stack over HTTP, through `Stack::builder`: one test binary, a module per service.

mod connections;
mod errors;
mod faults;
mod fulcio;
mod fulcio_python;
mod golden;
mod outage;
mod real_clients;
mod rekor_python;
mod rekor_v1;
mod rekor_v2;
mod rotation;
mod support;
mod trust;
mod trust_shapes;
mod tsa;
