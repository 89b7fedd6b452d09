//! One module per subcommand.

pub(crate) mod export;
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
