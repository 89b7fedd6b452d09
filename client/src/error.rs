//! The one error type: a single line naming why a bundle was rejected.

/// Why verification (or parsing) failed: one line naming the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct VerifyError(String);

impl VerifyError {
    pub(crate) fn new(reason: impl Into<String>) -> Self {
        let reason: String = reason.into();
        Self(reason.replace('\n', " "))
    }

    /// The reason, one line.
    pub fn reason(&self) -> &str {
        &self.0
    }
}

pub(crate) type Result<T> = std::result::Result<T, VerifyError>;

/// Returns early with a [`VerifyError`] built like `format!`.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::error::VerifyError::new(format!($($arg)*)))
    };
}
pub(crate) use bail;

/// Checks a condition, else returns a [`VerifyError`] built like `format!`.
macro_rules! ensure {
    ($cond:expr, $($arg:tt)*) => {
        if !$cond {
            $crate::error::bail!($($arg)*);
        }
    };
}
pub(crate) use ensure;
