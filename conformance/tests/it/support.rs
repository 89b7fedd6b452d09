//! What the tests share.

use std::path::PathBuf;

use conformance::Tools;

/// The installed tools of the workspace, found at run time: a warm target dir may hold a test
/// binary built from another clone path, so `env!` would point at the wrong checkout.
pub(crate) fn tools() -> Tools {
    let workspace = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR")
            .expect("cargo sets CARGO_MANIFEST_DIR when it runs tests"),
    )
    .join("..");
    Tools::from_workspace(&workspace)
}
