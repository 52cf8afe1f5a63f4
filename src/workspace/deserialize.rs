//! Typed deserialization from a span-carrying [`Node`], with serde's error turned into a
//! [`Problem`] located by path, so that it can be reported at `file:line:column`.

use serde::de::DeserializeOwned;

use super::tree::Node;
use crate::model::{Path, Problem};
use crate::suggest::closest;

/// Deserializes `T` from `node`.
///
/// # Errors
/// The first problem serde finds (serde stops there), located at the offending key or value,
/// with a "did you mean" hint for a misspelled field.
pub fn from_node<T: DeserializeOwned>(node: &Node) -> Result<T, Problem> {
    serde_path_to_error::deserialize(node.to_json()).map_err(|error| {
        let path = path_of(error.path());
        let message = error.inner().to_string();
        match unknown_field(&message) {
            Some((field, expected)) => {
                let problem = Problem::key(path, format!("unknown field `{field}`"));
                match closest(field, &expected) {
                    Some(best) => problem.with_help(format!("did you mean `{best}`?")),
                    None => problem.with_help(format!("expected one of {}", quoted(&expected))),
                }
            }
            None => Problem::value(path, message),
        }
    })
}

/// serde_path_to_error's path in our notation. Segments it cannot name end the path: the
/// problem is then reported at the deepest known place.
fn path_of(path: &serde_path_to_error::Path) -> Path {
    use serde_path_to_error::Segment as S;
    let mut out = Path::root();
    for segment in path.iter() {
        out = match segment {
            S::Seq { index } => out.index(*index),
            S::Map { key } => out.key(key.as_str()),
            S::Enum { .. } => continue,
            S::Unknown => break,
        };
    }
    out
}

/// Splits serde's "unknown field `X`, expected one of `A`, `B`" (or "expected `A` or `B`",
/// or "there are no fields") into the field and the expected names.
fn unknown_field(message: &str) -> Option<(&str, Vec<&str>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (field, rest) = rest.split_once('`')?;
    let expected = rest.split('`').skip(1).step_by(2).collect();
    Some((field, expected))
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_field_messages_are_split_into_field_and_candidates() {
        let (field, expected) =
            unknown_field("unknown field `Acton`, expected one of `Name`, `Peer`, `Action`")
                .unwrap();
        assert_eq!(field, "Acton");
        assert_eq!(expected, ["Name", "Peer", "Action"]);
        let (_, two) = unknown_field("unknown field `x`, expected `a` or `b`").unwrap();
        assert_eq!(two, ["a", "b"]);
    }
}
