//! The HTTP edge the services stand on: the error shape, JSON bodies, the request bounds and
//! the server loop. It imports no service; the router that merges them is `crate::router`.

pub mod error;
pub(crate) mod json;
pub(crate) mod limits;
pub mod serve;

pub use error::ApiError;
pub use limits::MAX_BODY_BYTES;
pub use serve::ConnectionLimits;
