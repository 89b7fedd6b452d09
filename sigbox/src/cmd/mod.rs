//! One module per subcommand.

pub(crate) mod export;
pub(crate) mod sign;
pub(crate) mod token;
pub(crate) mod up;
pub(crate) mod verify;

use std::path::Path;

use anyhow::Context;

/// The URL of the stack running with state in `state` (from its `ready.json`).
pub(crate) fn ready_url(state: &Path) -> anyhow::Result<String> {
    let file = state.join("ready.json");
    let bytes = std::fs::read(&file).with_context(|| {
        format!(
            "reading {} (start the stack with `sigbox up`, or pass --url)",
            file.display()
        )
    })?;
    let ready: stack::Ready =
        serde_json::from_slice(&bytes).with_context(|| format!("parsing {}", file.display()))?;
    Ok(ready.url)
}
