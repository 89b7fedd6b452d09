//! One module per subcommand.

pub(crate) mod conformance;
pub(crate) mod env;
pub(crate) mod export;
pub(crate) mod fsck;
pub(crate) mod rotate;
pub(crate) mod sign;
pub(crate) mod token;
pub(crate) mod up;
pub(crate) mod verify;

use std::path::Path;

use anyhow::Context;

/// The URL of the stack running with state in `state` (from its `ready.json`).
pub(crate) fn ready_url(state: &Path) -> anyhow::Result<String> {
    Ok(ready(state)?.url)
}

/// The `ready.json` of the stack running with state in `state`.
pub(crate) fn ready(state: &Path) -> anyhow::Result<stack::Ready> {
    let file = state.join("ready.json");
    let bytes = std::fs::read(&file).with_context(|| {
        format!(
            "reading {} (start the stack with `sigbox up`, or pass --url)",
            file.display()
        )
    })?;
    serde_json::from_slice(&bytes).with_context(|| format!("parsing {}", file.display()))
}

/// Trust material through a TUF repository, from a `root.json` the user trusts, keeping
/// metadata in `cache` (default: a temporary directory, so no rollback memory between runs).
pub(crate) fn tuf_trust(
    mirror: &str,
    root: &Path,
    cache: Option<&Path>,
) -> anyhow::Result<client::tuf::Trust> {
    let root = std::fs::read(root).with_context(|| format!("reading {}", root.display()))?;
    let temp;
    let cache = match cache {
        Some(c) => c,
        None => {
            temp = tempfile::tempdir().context("creating a TUF cache")?;
            temp.path()
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    Ok(runtime.block_on(client::tuf::load(mirror, &root, cache))?)
}
