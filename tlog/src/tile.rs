//! C2SP tlog-tiles (<https://c2sp.org/tlog-tiles>): tile coordinates and paths.
//!
//! Tiles are 8 levels high (256 hashes wide). Tile (L, N) holds the hashes at level 8·L of
//! the tree, from index 256·N; a partial tile (the right edge of a tree) has width W < 256 and
//! the path suffix `.p/<W>`. Indices are written in groups of three digits, every group but
//! the last prefixed with `x`: N = 1234067 is `x001/x234/067`.

use crate::hash::Hash;
use crate::store::{NodeReader, StoreError};

/// Hashes per full tile.
pub const TILE_WIDTH: u64 = 256;
/// Tree levels per tile.
pub const TILE_HEIGHT: u8 = 8;

/// One tile of a tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tile {
    /// Tile level (tree level / 8); [`Tile::DATA`] for entry bundles.
    pub level: u8,
    /// Index within the level.
    pub index: u64,
    /// Hashes (or entries) in it, 1..=256.
    pub width: u16,
}

/// Why a tile path was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed tile path: {0}")]
pub struct TilePathError(&'static str);

impl Tile {
    /// The level value that marks an entry bundle (`tile/entries/...`).
    pub const DATA: u8 = u8::MAX;

    /// `tile/<L>/<N>[.p/<W>]`, or `tile/entries/<N>[.p/<W>]` for entry bundles.
    pub fn path(&self) -> String {
        let level = if self.level == Self::DATA {
            "entries".to_owned()
        } else {
            self.level.to_string()
        };
        let mut out = format!("tile/{level}/{}", encode_index(self.index));
        if u64::from(self.width) < TILE_WIDTH {
            out.push_str(&format!(".p/{}", self.width));
        }
        out
    }

    /// Parses a tile path (as [`Tile::path`] writes it).
    pub fn parse(path: &str) -> Result<Self, TilePathError> {
        let rest = path
            .strip_prefix("tile/")
            .ok_or(TilePathError("does not start with tile/"))?;
        let (level_str, rest) = rest.split_once('/').ok_or(TilePathError("no index"))?;
        let level = if level_str == "entries" {
            Self::DATA
        } else {
            let l: u8 = canonical_number(level_str).ok_or(TilePathError("bad level"))?;
            if l > 63 {
                return Err(TilePathError("level out of range"));
            }
            l
        };
        let (index_str, width) = match rest.split_once(".p/") {
            Some((i, w)) => {
                let w: u16 = canonical_number(w).ok_or(TilePathError("bad partial width"))?;
                if w == 0 || u64::from(w) >= TILE_WIDTH {
                    return Err(TilePathError("partial width out of range"));
                }
                (i, w)
            }
            None => (rest, TILE_WIDTH as u16),
        };
        let index = decode_index(index_str).ok_or(TilePathError("bad index"))?;
        Ok(Self {
            level,
            index,
            width,
        })
    }
}

fn canonical_number<T: std::str::FromStr>(s: &str) -> Option<T> {
    let ok =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    ok.then(|| s.parse().ok()).flatten()
}

/// `1234067` -> `x001/x234/067`.
pub fn encode_index(n: u64) -> String {
    let mut groups = vec![format!("{:03}", n % 1000)];
    let mut rest = n / 1000;
    while rest > 0 {
        groups.push(format!("x{:03}", rest % 1000));
        rest /= 1000;
    }
    groups.reverse();
    groups.join("/")
}

fn decode_index(s: &str) -> Option<u64> {
    let parts: Vec<&str> = s.split('/').collect();
    let (last, init) = parts.split_last()?;
    let mut n: u64 = 0;
    for (i, part) in init.iter().enumerate() {
        let digits = part.strip_prefix('x')?;
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if i == 0 && digits == "000" {
            return None;
        }
        n = n.checked_mul(1000)?.checked_add(digits.parse().ok()?)?;
    }
    if last.len() != 3 || !last.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.checked_mul(1000)?.checked_add(last.parse().ok()?)
}

/// Every hash tile of a tree of `size` leaves (full tiles and the partial right edge).
pub fn tiles_for_size(size: u64) -> Vec<Tile> {
    let mut out = Vec::new();
    let mut level = 0u8;
    // The number of hashes at tree level 8·L is size >> (8·L).
    loop {
        let hashes = size >> (u32::from(level) * u32::from(TILE_HEIGHT));
        if hashes == 0 {
            break;
        }
        for index in 0..hashes.div_ceil(TILE_WIDTH) {
            let width = (hashes - index * TILE_WIDTH).min(TILE_WIDTH) as u16;
            out.push(Tile {
                level,
                index,
                width,
            });
        }
        level += 1;
    }
    out
}

/// The bytes of a hash tile: its hashes, concatenated, read from the tree.
pub fn tile_bytes(reader: &impl NodeReader, tile: &Tile) -> Result<Vec<u8>, StoreError> {
    let tree_level = tile.level * TILE_HEIGHT;
    let mut out = Vec::with_capacity(usize::from(tile.width) * 32);
    for i in 0..u64::from(tile.width) {
        let h: Hash = reader.node(tree_level, tile.index * TILE_WIDTH + i)?;
        out.extend_from_slice(h.as_bytes());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_spec_examples() {
        assert_eq!(encode_index(1234067), "x001/x234/067");
        assert_eq!(encode_index(0), "000");
        assert_eq!(encode_index(1000), "x001/000");
        let t = Tile {
            level: 0,
            index: 1234067,
            width: 256,
        };
        assert_eq!(t.path(), "tile/0/x001/x234/067");
        let p = Tile {
            level: 1,
            index: 5,
            width: 17,
        };
        assert_eq!(p.path(), "tile/1/005.p/17");
        let e = Tile {
            level: Tile::DATA,
            index: 7,
            width: 256,
        };
        assert_eq!(e.path(), "tile/entries/007");
        for t in [t, p, e] {
            assert_eq!(Tile::parse(&t.path()).unwrap(), t);
        }
    }

    #[test]
    fn rejects_non_canonical_paths() {
        for bad in [
            "tile/0/1",
            "tile/0/x000/001",
            "tile/0/001.p/0",
            "tile/0/001.p/256",
            "tile/00/001",
            "tile/0/x1/001",
            "tiles/0/001",
            "tile/0/001.p/017",
        ] {
            assert!(Tile::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tiles_of_a_tree() {
        let tiles = tiles_for_size(70_000);
        // level 0: 273 full + 1 partial (112); level 1: 273 hashes -> 1 full + 1 partial (17);
        // level 2: 1 hash -> 1 partial.
        assert_eq!(tiles.iter().filter(|t| t.level == 0).count(), 274);
        assert_eq!(
            tiles
                .iter()
                .find(|t| t.level == 0 && t.index == 273)
                .unwrap()
                .width,
            112
        );
        assert_eq!(
            tiles
                .iter()
                .find(|t| t.level == 1 && t.index == 1)
                .unwrap()
                .width,
            17
        );
        assert_eq!(tiles.iter().filter(|t| t.level == 2).count(), 1);
    }
}
