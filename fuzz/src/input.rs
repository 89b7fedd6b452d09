//! Fuzzed bytes as parts of a request: a selector byte for targets that drive several routes,
//! and paths or queries that are always valid URIs, so every input reaches the router.

/// The first byte picks one of `n` routes; the rest is that route's input.
pub fn select(data: &[u8], n: u8) -> Option<(u8, &[u8])> {
    let (first, rest) = data.split_first()?;
    Some((first % n, rest))
}

/// `bytes` as a URI path or query: characters a URI may hold are kept as they are (so the fuzzer
/// can write its own `%XX`, `/`, `?`, `&` and `=`), every other byte is percent-encoded.
pub fn uri_part(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        // RFC 3986 unreserved, sub-delims, ':', '@', '/', '?' and '%'.
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `bytes` as one path segment: as [`uri_part`], with `/` and `?` encoded too.
pub fn uri_segment(bytes: &[u8]) -> String {
    uri_part(bytes).replace('/', "%2F").replace('?', "%3F")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_string_is_a_valid_uri() {
        let all: Vec<u8> = (0..=255).collect();
        for part in [uri_part(&all), uri_segment(&all)] {
            let uri = format!("/x/{part}");
            assert!(uri.parse::<axum::http::Uri>().is_ok(), "{uri}");
        }
        assert_eq!(uri_segment(b"a/b?c d"), "a%2Fb%3Fc%20d");
    }
}
