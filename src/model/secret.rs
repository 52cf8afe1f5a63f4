//! Tokens (ACL tokens, peering tokens) as a type that cannot leak by accident.
//!
//! `Secret` has no `Display` and no `Serialize`; its `Debug` prints `****`. The only way to the
//! text is [`Secret::expose`], called where a token leaves the process: an HTTP header to Consul
//! or a 0600 token file written for another team. The text is wiped from memory on drop.

use std::fmt;

use zeroize::Zeroizing;

/// A token whose text must never reach an output, a log, a plan file or an error message.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a token; surrounding white space (a trailing newline in a token file) is trimmed.
    pub fn new(text: impl Into<String>) -> Self {
        let text = Zeroizing::new(text.into());
        Self(Zeroizing::new(text.trim().to_owned()))
    }

    /// The token's text, for the few places where it must leave the process.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token() {
        let secret = Secret::new("s3cr3t-canary\n");
        assert_eq!(format!("{secret:?}"), "****");
        assert_eq!(secret.expose(), "s3cr3t-canary");
    }
}
