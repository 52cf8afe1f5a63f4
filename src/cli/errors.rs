//! How a failed command reports its error: as text on stderr, or, when the command was asked
//! for JSON (`--format json`), as a JSON document on stdout in place of the output, so that a
//! program reading stdout always gets one JSON document, success or not.
//!
//! The document carries the `format_version` of the command's own JSON output (the plan's for
//! `plan` and `show`, the diagnostics' for `validate`):
//!
//! ```json
//! {"format_version": 1, "error": {"message": "cluster-01: ...: connection refused",
//!                                 "causes": ["cluster-01: ...", "connection refused"]}}
//! ```
//!
//! `message` is what the text form prints after `error: `; `causes` is the chain of errors it
//! is made of, outermost first. Error texts never hold a token, so neither does the document.

use std::io::Write;

use serde_json::json;

/// Where and how an error is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorFormat {
    /// `error: ...` on stderr.
    Text,
    /// A JSON document on stdout, with this `format_version`.
    Json { format_version: u32 },
}

impl ErrorFormat {
    /// Reports `error`. Nothing is left to do when stdout or stderr cannot be written.
    pub fn report(self, error: &anyhow::Error) {
        match self {
            Self::Text => {
                let _ = writeln!(anstream::stderr(), "error: {error:#}");
            }
            Self::Json { format_version } => {
                let document = document(error, format_version);
                let mut stdout = anstream::stdout();
                let _ = writeln!(stdout, "{document:#}");
                let _ = stdout.flush();
            }
        }
    }
}

/// The JSON document for `error`.
fn document(error: &anyhow::Error, format_version: u32) -> serde_json::Value {
    let causes: Vec<String> = error.chain().map(ToString::to_string).collect();
    json!({
        "format_version": format_version,
        "error": {
            "message": format!("{error:#}"),
            "causes": causes,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_holds_the_message_and_each_cause() {
        let error = anyhow::anyhow!("connection refused").context("cluster-01: GET /v1/peerings");
        let document = document(&error, 7);
        assert_eq!(document["format_version"], 7);
        assert_eq!(
            document["error"]["message"],
            "cluster-01: GET /v1/peerings: connection refused"
        );
        assert_eq!(
            document["error"]["causes"],
            json!(["cluster-01: GET /v1/peerings", "connection refused"])
        );
    }
}
