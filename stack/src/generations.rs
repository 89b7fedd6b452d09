//! Key generations: which generations of each rotating service exist and when each was in use.
//!
//! Written to `STATE/generations.json` on every rotation (atomically, before the rotation is
//! answered), read on start, so a restarted stack serves every generation it ever had. A
//! rotation starts the next generation at the clock's "now" and ends the current one a second
//! later: those become `validFor.start` / `validFor.end` in the trusted root.

use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, PoisonError, RwLock};

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// What can be rotated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Fulcio's root and intermediate CA.
    Fulcio,
    /// The CT log: a new log (key and tree); Fulcio embeds SCTs from it.
    Ctlog,
    /// Rekor v1: a new shard (tree ID and key); older shards stay readable.
    Rekor,
    /// The timestamp authority's root and signing certificate.
    Tsa,
    /// The OIDC issuer's signing key (old keys stay in the JWKS).
    Oidc,
    /// The TUF root keys: `N+1.root.json` signed by the old and the new keys.
    TufRoot,
}

impl Kind {
    /// Every kind, in the order `sigbox rotate` lists them.
    pub const ALL: [Self; 6] = [
        Self::Fulcio,
        Self::Ctlog,
        Self::Rekor,
        Self::Tsa,
        Self::Oidc,
        Self::TufRoot,
    ];

    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fulcio => "fulcio",
            Self::Ctlog => "ctlog",
            Self::Rekor => "rekor",
            Self::Tsa => "tsa",
            Self::Oidc => "oidc",
            Self::TufRoot => "tuf-root",
        }
    }
}

impl FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown rotation {s:?}, want one of fulcio, ctlog, rekor, tsa, oidc, tuf-root"
                )
            })
    }
}

/// How a rotation changes the trust material's shape, beyond a new generation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shape {
    /// A generation of its own: new keys, new names.
    #[default]
    Plain,
    /// Fulcio: a new intermediate key under the previous generation's root, with the previous
    /// intermediate's subject name, as the second intermediate staging added in its July 2026
    /// multi-region move was (sigstore-rust#154). A client that finds a leaf's issuer by name
    /// may pick the wrong one.
    SameSubject,
    /// TUF root: the new root's key IDs are not the SHA-256 of the keys as published (TUF spec
    /// §4.2) but of the key with `keyid_hash_algorithms` added, the form the early
    /// root-signing tooling hashed; root-signing's v8 and v11 roots shipped such IDs, which
    /// tough refuses and python-tuf, go-tuf and tuf-js accept (root-signing#1437).
    LegacyKeyIds,
}

impl Shape {
    fn is_plain(&self) -> bool {
        *self == Self::Plain
    }
}

/// One rotation: the kind, its shape, and whether the older generations leave the trusted
/// root (`retire`), so what they signed stops verifying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    /// What rotates.
    pub kind: Kind,
    /// The new generation's shape.
    pub shape: Shape,
    /// Drop every older generation of `kind` from the trusted root.
    pub retire: bool,
}

impl From<Kind> for Rotation {
    fn from(kind: Kind) -> Self {
        Self {
            kind,
            shape: Shape::Plain,
            retire: false,
        }
    }
}

impl Rotation {
    /// Refuses a shape the kind has no such thing for.
    pub fn check(&self) -> Result<(), String> {
        let k = self.kind.as_str();
        match (self.shape, self.kind) {
            (Shape::Plain, _) | (Shape::SameSubject, Kind::Fulcio) => {}
            (Shape::LegacyKeyIds, Kind::TufRoot) => {}
            (Shape::SameSubject, _) => {
                return Err(format!(
                    "same-subject applies to fulcio (an intermediate's name), not {k}"
                ));
            }
            (Shape::LegacyKeyIds, _) => {
                return Err(format!(
                    "legacy-key-ids applies to tuf-root (its key IDs), not {k}"
                ));
            }
        }
        if self.retire && matches!(self.kind, Kind::Oidc | Kind::TufRoot) {
            return Err(format!(
                "retire applies to what the trusted root lists (fulcio, ctlog, rekor, tsa),                  not {k}"
            ));
        }
        Ok(())
    }

    /// The name of its matrix rows: `fulcio`, `fulcio-same-subject`, `rekor-retire`, ...
    pub fn label(&self) -> String {
        let mut s = self.kind.as_str().to_owned();
        match self.shape {
            Shape::Plain => {}
            Shape::SameSubject => s.push_str("-same-subject"),
            Shape::LegacyKeyIds => s.push_str("-legacy-key-ids"),
        }
        if self.retire {
            s.push_str("-retire");
        }
        s
    }
}

impl FromStr for Rotation {
    type Err = String;

    /// A [`Rotation::label`]: `fulcio`, `fulcio-same-subject`, `rekor-retire`, ...
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (rest, retire) = match s.strip_suffix("-retire") {
            Some(rest) => (rest, true),
            None => (s, false),
        };
        let (kind, shape) = if let Some(k) = rest.strip_suffix("-same-subject") {
            (k, Shape::SameSubject)
        } else if let Some(k) = rest.strip_suffix("-legacy-key-ids") {
            (k, Shape::LegacyKeyIds)
        } else {
            (rest, Shape::Plain)
        };
        let rotation = Self {
            kind: kind.parse()?,
            shape,
            retire,
        };
        rotation.check()?;
        Ok(rotation)
    }
}

/// When one generation was in use (Unix seconds); `end` is `None` for the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// When it started.
    pub start: i64,
    /// When it was retired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<i64>,
    /// Rekor shards: the global index of this shard's first entry.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub offset: u64,
    /// How this generation was made (absent: plain).
    #[serde(default, skip_serializing_if = "Shape::is_plain")]
    pub shape: Shape,
    /// Dropped from the trusted root by a later `--retire` rotation: still served (a shard
    /// stays readable), no longer trusted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retired: bool,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Every generation of every kind, oldest first; the last of each list is current.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generations {
    /// Fulcio CA generations.
    pub fulcio: Vec<Span>,
    /// CT log generations.
    pub ctlog: Vec<Span>,
    /// Rekor shards.
    pub rekor: Vec<Span>,
    /// TSA generations.
    pub tsa: Vec<Span>,
    /// OIDC key generations.
    pub oidc: Vec<Span>,
    /// TUF root key generations.
    pub tuf_root: Vec<Span>,
}

impl Generations {
    /// One generation of everything, from `epoch`.
    pub fn first(epoch: i64) -> Self {
        let one = vec![Span {
            start: epoch,
            end: None,
            offset: 0,
            shape: Shape::Plain,
            retired: false,
        }];
        Self {
            fulcio: one.clone(),
            ctlog: one.clone(),
            rekor: one.clone(),
            tsa: one.clone(),
            oidc: one.clone(),
            tuf_root: one,
        }
    }

    /// `dir/generations.json`, or [`Self::first`] when the state is new.
    pub fn load(dir: &Path, epoch: i64) -> anyhow::Result<Self> {
        let path = dir.join("generations.json");
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("parsing {}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::first(epoch)),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Writes `dir/generations.json` atomically (the state directory exists: it was opened).
    /// Through `tlog`'s writer, as `state::write_atomic` is: the state module lists logs by
    /// these generations, so this one does not import it back.
    pub fn save(&self, dir: &Path) -> anyhow::Result<()> {
        let json = serde_json::to_vec_pretty(self)?;
        let path = dir.join("generations.json");
        tlog::store::write_atomic(&path, &json)
            .with_context(|| format!("writing {}", path.display()))
    }

    /// The list of `kind`.
    pub fn of(&self, kind: Kind) -> &[Span] {
        match kind {
            Kind::Fulcio => &self.fulcio,
            Kind::Ctlog => &self.ctlog,
            Kind::Rekor => &self.rekor,
            Kind::Tsa => &self.tsa,
            Kind::Oidc => &self.oidc,
            Kind::TufRoot => &self.tuf_root,
        }
    }

    /// The current generation number of `kind`.
    pub fn current(&self, kind: Kind) -> u32 {
        u32::try_from(self.of(kind).len().saturating_sub(1)).unwrap_or(u32::MAX)
    }

    /// The generation whose root and intermediate name Fulcio generation `g` shares: itself,
    /// or for a same-subject generation the one it was made beside.
    pub fn fulcio_base(&self, g: usize) -> usize {
        let mut base = g;
        while base > 0 && self.fulcio.get(base).map(|s| s.shape) == Some(Shape::SameSubject) {
            base -= 1;
        }
        base
    }

    /// Starts the next generation of `rotation.kind` at `now` in its shape, ends the current
    /// one (and with `retire` marks every older one retired); returns its number. `offset` is
    /// the new Rekor shard's first global index (0 for other kinds).
    pub fn rotate(&mut self, rotation: impl Into<Rotation>, now: i64, offset: u64) -> u32 {
        let Rotation {
            kind,
            shape,
            retire,
        } = rotation.into();
        let list = match kind {
            Kind::Fulcio => &mut self.fulcio,
            Kind::Ctlog => &mut self.ctlog,
            Kind::Rekor => &mut self.rekor,
            Kind::Tsa => &mut self.tsa,
            Kind::Oidc => &mut self.oidc,
            Kind::TufRoot => &mut self.tuf_root,
        };
        // `now` is whole seconds but what the old generation signed last (SCTs, timestamps)
        // carries milliseconds: its end is the next second, so the last thing it signed is
        // inside its span. The one-second overlap is harmless: the old one signs nothing more.
        if let Some(last) = list.last_mut() {
            last.end = Some(now + 1);
        }
        if retire {
            for span in list.iter_mut() {
                span.retired = true;
            }
        }
        list.push(Span {
            start: now,
            end: None,
            offset,
            shape,
            retired: false,
        });
        u32::try_from(list.len() - 1).unwrap_or(u32::MAX)
    }
}

/// The open generations of one service, oldest first; the last one is current. Readers take
/// a snapshot (`all`, `current`), so a rotation never changes a generation under a request.
#[derive(Debug)]
pub struct Set<T>(RwLock<Vec<Arc<T>>>);

impl<T> Set<T> {
    /// The generations opened so far (at least one), oldest first.
    pub fn new(generations: Vec<Arc<T>>) -> Self {
        assert!(!generations.is_empty(), "at least one generation");
        Self(RwLock::new(generations))
    }

    /// Every generation, oldest first.
    pub fn all(&self) -> Vec<Arc<T>> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The current generation.
    pub fn current(&self) -> Arc<T> {
        self.all().pop().expect("at least one generation")
    }

    /// Makes `next` the current generation.
    pub fn push(&self, next: Arc<T>) {
        self.0
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_starts_the_new_and_ends_the_old_a_second_later() {
        let mut g = Generations::first(100);
        assert_eq!(g.rotate(Kind::Rekor, 200, 7), 1);
        assert_eq!(g.rekor[0].end, Some(201));
        assert_eq!(
            g.rekor[1],
            Span {
                start: 200,
                end: None,
                offset: 7,
                shape: Shape::Plain,
                retired: false,
            }
        );
        assert_eq!(g.current(Kind::Rekor), 1);
        assert_eq!(g.current(Kind::Fulcio), 0);
        let dir = tempfile::tempdir().unwrap();
        g.save(dir.path()).unwrap();
        assert_eq!(Generations::load(dir.path(), 0).unwrap(), g);
        assert_eq!(
            Generations::load(&dir.path().join("none"), 5).unwrap(),
            Generations::first(5)
        );
    }

    #[test]
    fn shaped_rotations_are_recorded_and_retire_the_older_generations() {
        let mut g = Generations::first(100);
        let same = Rotation {
            kind: Kind::Fulcio,
            shape: Shape::SameSubject,
            retire: false,
        };
        g.rotate(Kind::Fulcio, 150, 0);
        g.rotate(same, 200, 0);
        g.rotate(same, 250, 0);
        assert_eq!(g.fulcio_base(0), 0);
        assert_eq!(g.fulcio_base(1), 1);
        assert_eq!(g.fulcio_base(3), 1);
        let retire = Rotation {
            retire: true,
            ..Rotation::from(Kind::Fulcio)
        };
        g.rotate(retire, 300, 0);
        let retired: Vec<bool> = g.fulcio.iter().map(|s| s.retired).collect();
        assert_eq!(retired, [true, true, true, true, false]);
        assert_eq!(g.fulcio_base(4), 4);
        // Old files (no shape, no retired) still read; new ones round-trip.
        let old: Span = serde_json::from_str(r#"{"start":5}"#).unwrap();
        assert_eq!((old.shape, old.retired), (Shape::Plain, false));
        let json = serde_json::to_string(&g.fulcio[2]).unwrap();
        assert_eq!(
            json,
            r#"{"start":200,"end":251,"shape":"same-subject","retired":true}"#
        );
    }

    #[test]
    fn shapes_apply_only_where_they_mean_something() {
        let r = |kind, shape, retire| Rotation {
            kind,
            shape,
            retire,
        };
        assert!(r(Kind::Fulcio, Shape::SameSubject, true).check().is_ok());
        assert!(r(Kind::TufRoot, Shape::LegacyKeyIds, false).check().is_ok());
        assert!(r(Kind::Rekor, Shape::Plain, true).check().is_ok());
        let e = r(Kind::Rekor, Shape::SameSubject, false)
            .check()
            .unwrap_err();
        assert!(e.contains("not rekor"), "{e}");
        let e = r(Kind::Fulcio, Shape::LegacyKeyIds, false)
            .check()
            .unwrap_err();
        assert!(e.contains("tuf-root"), "{e}");
        let e = r(Kind::TufRoot, Shape::Plain, true).check().unwrap_err();
        assert!(e.contains("not tuf-root"), "{e}");
        for rotation in [
            r(Kind::Rekor, Shape::Plain, true),
            r(Kind::TufRoot, Shape::LegacyKeyIds, false),
            r(Kind::Fulcio, Shape::SameSubject, true),
            r(Kind::Ctlog, Shape::Plain, false),
        ] {
            assert_eq!(rotation.label().parse::<Rotation>(), Ok(rotation));
        }
        assert_eq!(r(Kind::Rekor, Shape::Plain, true).label(), "rekor-retire");
        assert_eq!(
            r(Kind::TufRoot, Shape::LegacyKeyIds, false).label(),
            "tuf-root-legacy-key-ids"
        );
        let e = "oidc-retire".parse::<Rotation>().unwrap_err();
        assert!(e.contains("not oidc"), "{e}");
        assert!("rekor-same".parse::<Rotation>().is_err());
    }

    #[test]
    fn kinds_parse_by_name() {
        for k in Kind::ALL {
            assert_eq!(k.as_str().parse::<Kind>(), Ok(k));
        }
        assert!("root".parse::<Kind>().unwrap_err().contains("tuf-root"));
    }
}
