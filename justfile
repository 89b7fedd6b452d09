# sigbox: a whole Sigstore in one process, for testing. `just --list` for the recipes.

set shell := ["bash", "-euo", "pipefail", "-c"]

# Start the stack on 127.0.0.1:7860 with state in .sigbox/ (Ctrl-C stops it).
up *ARGS:
    tools/up {{ARGS}}

# Write the trust material clients need for the running stack to sigbox-trust/, and print the
# sigstore-python, sigstore-js and cosign command lines that use it.
export *ARGS:
    cargo run --release -p sigbox -- export {{ARGS}}

# The whole test suite (unit, property, store contract, crash, real clients over HTTP).
test:
    cargo test --workspace --locked

# Formatting and lints, warnings denied.
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets --locked -- -D warnings

# Benchmarks: tlog appends/s and proof times, Rekor entries/s over HTTP.
bench:
    cargo bench -p tlog --features rocksdb --bench tlog
    cargo bench -p stack --bench rekor

# What CI runs, after .ci/run has installed the tools.
ci: lint test fuzz-smoke conformance conformance-rekor-v2

# Fuzz TARGET (every target in turn when empty) for SECONDS each, under nice, on stable with
# no sanitizer (fuzz/run: its own target dir, so the main build is untouched). New inputs are
# kept in $HOME/.cache/sigbox-fuzz-corpus/; a crash's input lands in fuzz/artifacts/TARGET/.
fuzz TARGET="" SECONDS="600":
    fuzz/run long "{{TARGET}}" "{{SECONDS}}"

# Every fuzz target for about 5 s from its seed corpus (a minute in all); writes nothing
# that is committed.
fuzz-smoke:
    fuzz/run smoke

# Rewrites the committed seed corpus (fuzz/corpus/) with fuzz/tests/seeds.rs.
fuzz-seeds:
    fuzz/run seeds

# Install the third-party clients the tests drive, pinned (tools/install: Python venv, npm
# packages, Go tools; cached under $HOME/.cache).
tools:
    tools/install

# The client conformance matrix: sigbox, sigstore-python, sigstore-js, sigstore-rs, cosign 3 and
# 2.6, sigstore-go, gitsign, sigstore-rust and sigstore-java sign, cross-verify, refuse tampered
# bundles and faults (a rolled-back or expired TUF timestamp among them, through each client's own
# TUF loading) and survive every rotation, against a stack started for the run.
# Writes docs/conformance.md; fails when a result differs from conformance/expectations.json.
# A dev build: the time goes to the clients, and dependencies are optimised in dev anyway.
conformance *ARGS:
    cargo run -p sigbox -- conformance --report docs/conformance.md {{ARGS}}

# The same matrix with Rekor v2 (the tile-based log) in the signing config: the clients that
# pick services from it sign there. Writes docs/conformance-rekor-v2.md; known gaps are in
# conformance/expectations-rekor-v2.json.
conformance-rekor-v2 *ARGS:
    cargo run -p sigbox -- conformance --rekor-v2 --report docs/conformance-rekor-v2.md {{ARGS}}
