//! fake-oidc's integration tests, over HTTP on a loopback port: presets verified against the
//! served JWKS, the code+PKCE and device flows driven as a client, verification refusals,
//! rotation, determinism, the CI endpoints, and sigstore-python's own OAuth client against
//! the issuer.

mod ci;
mod code_flow;
mod common;
mod device_flow;
mod presets;
mod python;
mod verify;
