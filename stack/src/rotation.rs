//! Rotation: a new key generation for one service, the old one retired at the clock's "now",
//! and new trust material published (a new trusted root as new TUF targets, snapshot and
//! timestamp versions; for `tuf-root`, a new root version signed by the old and new keys).
//!
//! Order matters for durability: the new generation is built first (it can fail, and then
//! nothing changed), `generations.json` is written next (so a restart serves the same
//! generations), then the service switches, then the TUF repository publishes.
//!
//! A Rekor rotation holds appends back (they wait, they are not refused) from reading the old
//! shard's final size until the new shard is active: see [`rekor::Shards::exclusive`].

use std::sync::Arc;

use anyhow::Context;
use time::OffsetDateTime;
use tuf_repo::Validity;

use crate::generations::{Generations, Kind, Rotation, Shape, Span};
use crate::keys::{KeyRing, Role};
use crate::{Services, ctlog, fulcio, rekor, rekor_v2, tsa, tuf};

fn validity(span: &Span) -> anyhow::Result<Validity> {
    let t = |s: i64| OffsetDateTime::from_unix_timestamp(s).context("generation time");
    Ok(Validity {
        start: t(span.start)?,
        end: span.end.map(t).transpose()?,
    })
}

/// An item with its span, or nothing for a retired generation.
fn kept<T>((x, v): (T, Option<Validity>)) -> Option<(T, Validity)> {
    v.map(|v| (x, v))
}

/// The Rekor logs the trust files list: v1's shards, the v2 log, and whether clients are sent
/// to v2 for signing.
pub(crate) struct RekorLogs<'a> {
    pub(crate) v1: &'a rekor::Shards,
    pub(crate) v2: &'a rekor_v2::RekorV2,
    pub(crate) v2_signing: bool,
}

/// The certificate side the trust files list: Fulcio's CA generations and the CT logs that
/// vouch for its certificates.
pub(crate) struct Certificates<'a> {
    pub(crate) fulcio: &'a fulcio::Fulcio,
    pub(crate) ctlogs: &'a ctlog::CtLogs,
}

/// The trust inputs of every generation the services hold, each valid for its span.
pub(crate) fn trust_inputs(
    url: &str,
    issuer_url: &str,
    epoch: i64,
    gens: &Generations,
    certificates: Certificates<'_>,
    rekor: RekorLogs<'_>,
    tsa: &tsa::Authorities,
) -> anyhow::Result<tuf::TrustInputs> {
    let Certificates { fulcio, ctlogs } = certificates;
    let RekorLogs {
        v1: rekor,
        v2: rekor_v2,
        v2_signing: rekor_v2_signing,
    } = rekor;
    // Each generation's span, `None` for a retired one (left out of the trusted root).
    let zip = |spans: &[Span], n: usize, what: &str| -> anyhow::Result<Vec<Option<Validity>>> {
        anyhow::ensure!(
            spans.len() == n,
            "{what}: {n} generations open but {} recorded",
            spans.len()
        );
        spans
            .iter()
            .map(|s| (!s.retired).then(|| validity(s)).transpose())
            .collect()
    };
    let cas = fulcio.cas();
    let ctlogs = ctlogs.all();
    let shards = rekor.all();
    let tsas = tsa.all();
    Ok(tuf::TrustInputs {
        url: url.to_owned(),
        issuer_url: issuer_url.to_owned(),
        epoch: OffsetDateTime::from_unix_timestamp(epoch).context("state epoch")?,
        fulcio: cas
            .iter()
            .map(|ca| vec![ca.intermediate_der.clone(), ca.root_der.clone()])
            .zip(zip(&gens.fulcio, cas.len(), "fulcio")?)
            .filter_map(kept)
            .collect(),
        rekor: shards
            .iter()
            .map(|s| s.public_key_der())
            .zip(zip(&gens.rekor, shards.len(), "rekor")?)
            .filter_map(kept)
            .collect(),
        rekor_v2: tuf::RekorV2Trust {
            base_url: format!("{url}{}", rekor_v2::PATH_PREFIX),
            public_key_der: rekor_v2.public_key_der(),
            signing: rekor_v2_signing,
        },
        ctlog: ctlogs
            .iter()
            .map(|l| l.public_key_der().to_vec())
            .zip(zip(&gens.ctlog, ctlogs.len(), "ctlog")?)
            .filter_map(kept)
            .collect(),
        tsa: tsas
            .iter()
            .map(|t| t.chain_der())
            .zip(zip(&gens.tsa, tsas.len(), "tsa")?)
            .filter_map(kept)
            .collect(),
    })
}

impl Services {
    /// Rotates `rotation.kind` in its shape; returns the new generation's number.
    pub(crate) fn rotate(&self, rotation: Rotation) -> anyhow::Result<u32> {
        rotation.check().map_err(anyhow::Error::msg)?;
        let kind = rotation.kind;
        let mut gens = self
            .generations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let keys = KeyRing::new(&self.seed);
        let now = self.clock.unix();
        let next = gens.current(kind) + 1;
        let dir = |service: &str| self.state_dir.join(service).join(next.to_string());
        let mut updated = gens.clone();
        // Held (for Rekor) from reading the old shard's size until the new shard is active.
        let mut rekor_gate = None;
        // Build first: nothing changes if this fails.
        let switch: Box<dyn FnOnce() + Send> = match kind {
            Kind::Fulcio => {
                updated.rotate(rotation, now, 0);
                let base = updated.fulcio_base(next as usize);
                let base_start = updated.fulcio[base].start;
                let ca = fulcio::CaGeneration::beside(&keys, next, now, (base as u32, base_start))?;
                let fulcio = self.fulcio.clone();
                Box::new(move || fulcio.rotate(ca))
            }
            Kind::Ctlog => {
                let log = ctlog::CtLog::open(&keys, next, self.clock.clone(), &dir("ctlog"))?;
                updated.rotate(rotation, now, 0);
                let ctlogs = self.ctlogs.clone();
                Box::new(move || ctlogs.push(Arc::new(log)))
            }
            Kind::Rekor => {
                rekor_gate = Some(self.rekor.exclusive()?);
                let offset = self.rekor.next_offset()?;
                // Named by the host without the port, as the first shard (see `start`).
                let authority = self.url.strip_prefix("http://").unwrap_or(&self.url);
                let host = authority
                    .parse::<std::net::SocketAddr>()
                    .map_or_else(|_| authority.to_owned(), |a| a.ip().to_string());
                let shard = rekor::Rekor::open(
                    &keys,
                    next,
                    offset,
                    self.clock.clone(),
                    &dir("rekor"),
                    &host,
                )?;
                updated.rotate(rotation, now, offset);
                let shards = self.rekor.clone();
                Box::new(move || shards.push(Arc::new(shard)))
            }
            Kind::Tsa => {
                let authority = tsa::Tsa::new(&keys, next, self.clock.clone(), now)?;
                updated.rotate(rotation, now, 0);
                let tsas = self.tsa.clone();
                Box::new(move || tsas.push(Arc::new(authority)))
            }
            Kind::Oidc => {
                let key =
                    fake_oidc::IssuerKey::with_thumbprint_kid(keys.signing_key(Role::Oidc, next));
                updated.rotate(rotation, now, 0);
                let oidc = self.oidc.clone();
                Box::new(move || oidc.rotate(key))
            }
            Kind::TufRoot => {
                updated.rotate(rotation, now, 0);
                Box::new(|| {})
            }
        };
        updated
            .save(&self.state_dir)
            .context("recording the new generation")?;
        *gens = updated;
        switch();
        drop(rekor_gate);
        let at = self.clock.now();
        if kind == Kind::TufRoot {
            let legacy = rotation.shape == Shape::LegacyKeyIds;
            self.trust
                .rotate_root(tuf::role_keys(&keys, next, legacy), at)?;
        } else {
            self.trust.republish(
                trust_inputs(
                    &self.url,
                    self.oidc.issuer_url(),
                    self.epoch,
                    &gens,
                    Certificates {
                        fulcio: &self.fulcio,
                        ctlogs: &self.ctlogs,
                    },
                    RekorLogs {
                        v1: &self.rekor,
                        v2: &self.rekor_v2,
                        v2_signing: self.rekor_v2_signing,
                    },
                    &self.tsa,
                )?,
                at,
            )?;
        }
        self.refresh_ready_file(&gens)?;
        tracing::info!(rotation = rotation.label(), generation = next, "rotated");
        Ok(next)
    }

    /// `ready.json`, if the stack wrote one, with the new generation's public keys, and the
    /// trust files it lists rewritten.
    fn refresh_ready_file(&self, gens: &Generations) -> anyhow::Result<()> {
        let path = self.state_dir.join("ready.json");
        let Ok(bytes) = std::fs::read(&path) else {
            return Ok(());
        };
        let mut ready: crate::Ready = serde_json::from_slice(&bytes)
            .with_context(|| format!("reading {}", path.display()))?;
        ready.public_keys = crate::public_keys(&self.seed, gens);
        ready.trust_files = self.trust.write_files(&self.state_dir.join("trust"))?;
        crate::state::write_atomic(&path, &serde_json::to_vec_pretty(&ready)?)
    }
}
