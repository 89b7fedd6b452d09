//! Trust material through TUF: tough (a stock TUF client) walks a repository from a root the
//! caller already trusts, refusing rollbacks, expired or oversized metadata and roots signed
//! below threshold, and hands back the `trusted_root.json` and `signing_config.v0.2.json` it
//! serves. Metadata is kept in a datastore directory, so a later load refuses to go back.

use std::path::Path;

use tough::{
    FilesystemTransport, IntoVec, RepositoryLoader, TargetName, Transport, TransportError,
    TransportErrorKind, TransportStream,
};
use url::Url;

/// Why trust could not be loaded, in one line.
#[derive(Debug, thiserror::Error)]
#[error("TUF: {0}")]
pub struct TufError(String);

/// HTTP(S) and `file://` fetches; a whole body at a time (metadata and targets are small, and
/// tough still checks every length limit on what arrives).
#[derive(Debug, Clone)]
struct Fetch {
    http: reqwest::Client,
}

#[tough::async_trait]
impl Transport for Fetch {
    async fn fetch(&self, url: Url) -> Result<TransportStream, TransportError> {
        if url.scheme() == "file" {
            return FilesystemTransport.fetch(url).await;
        }
        let other = |e: reqwest::Error| {
            TransportError::new_with_cause(TransportErrorKind::Other, url.as_str(), e)
        };
        let resp = self.http.get(url.clone()).send().await.map_err(other)?;
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::FORBIDDEN {
            return Err(TransportError::new(
                TransportErrorKind::FileNotFound,
                url.as_str(),
            ));
        }
        if !status.is_success() {
            return Err(TransportError::new_with_cause(
                TransportErrorKind::Other,
                url.as_str(),
                format!("HTTP {status}"),
            ));
        }
        let body = resp.bytes().await.map_err(other)?;
        Ok(Box::pin(futures::stream::once(async move { Ok(body) })))
    }
}

/// What a TUF repository vouches for.
#[derive(Debug, Clone)]
pub struct Trust {
    /// `trusted_root.json`.
    pub trusted_root: Vec<u8>,
    /// `signing_config.v0.2.json`, when the repository has one.
    pub signing_config: Option<Vec<u8>>,
    /// The root version the client ended on.
    pub root_version: u64,
}

/// Loads the trust material from the TUF repository at `mirror` (metadata at `mirror/`,
/// targets at `mirror/targets/`), starting from `root` (a `root.json` the caller trusts) and
/// keeping metadata in `datastore`.
///
/// The whole refresh has [`LOAD_DEADLINE`]: a repository that answers too slowly is an error,
/// however many of its requests each would have waited out their own timeout.
pub async fn load(mirror: &str, root: &[u8], datastore: &Path) -> Result<Trust, TufError> {
    tokio::time::timeout(LOAD_DEADLINE, load_within(mirror, root, datastore))
        .await
        .unwrap_or_else(|_| {
            Err(TufError(format!(
                "the TUF repository at {mirror} did not answer within {} s",
                LOAD_DEADLINE.as_secs()
            )))
        })
}

/// How long a TUF refresh may take in all.
pub const LOAD_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

async fn load_within(mirror: &str, root: &[u8], datastore: &Path) -> Result<Trust, TufError> {
    let err = |what: &str, e: &dyn std::fmt::Display| TufError(format!("{what}: {e}"));
    let base = Url::parse(&format!("{}/", mirror.trim_end_matches('/')))
        .map_err(|e| err("mirror URL", &e))?;
    let targets = base.join("targets/").map_err(|e| err("mirror URL", &e))?;
    std::fs::create_dir_all(datastore)
        .map_err(|e| err(&format!("creating {}", datastore.display()), &e))?;
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| err("HTTP client", &e))?;
    let repo = RepositoryLoader::new(&root, base, targets)
        .transport(Fetch { http })
        .datastore(datastore)
        .load()
        .await
        .map_err(|e| err("refusing the repository", &error_chain(&e)))?;
    let read = |name: &'static str| {
        let repo = &repo;
        async move {
            let target = TargetName::new(name).map_err(|e| err(name, &e))?;
            match repo.read_target(&target).await {
                Ok(Some(stream)) => stream
                    .into_vec()
                    .await
                    .map(Some)
                    .map_err(|e| err(name, &error_chain(&e))),
                Ok(None) => Ok(None),
                Err(e) => Err(err(name, &error_chain(&e))),
            }
        }
    };
    let trusted_root = read("trusted_root.json")
        .await?
        .ok_or_else(|| TufError("the repository has no trusted_root.json target".into()))?;
    let signing_config = read("signing_config.v0.2.json").await?;
    Ok(Trust {
        trusted_root,
        signing_config,
        root_version: repo.root().signed.version.get(),
    })
}

/// An error and its causes on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
