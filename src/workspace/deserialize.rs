//! Typed deserialization from a span-carrying [`Node`], with serde's error turned into a
//! [`Problem`] located by path, so that it can be reported at `file:line:column`.
//!
//! serde stops at the first error. To report more than one problem per file, [`from_node_all`]
//! removes what the error points at from a copy of the tree (made only then: a file without
//! problems is deserialized from its tree as it is) and tries again, up to
//! [`MAX_PROBLEMS`] times. A removal can cause errors of its own ("missing field" for a
//! required field it took away); those are not the user's, so the retries stop there rather
//! than report them. Paths found in the trimmed copy are mapped back to the original tree (an
//! array that lost an element has shifted indexes), so every problem points into the file as
//! written.

use std::borrow::Cow;

use serde::de::DeserializeOwned;

use super::tree::{Node, Value};
use crate::model::{Path, Problem, Segment};
use crate::suggest::closest;

/// At most this many problems are reported per deserialized document.
pub const MAX_PROBLEMS: usize = 20;

/// Deserializes `T` from `node`, collecting up to [`MAX_PROBLEMS`] problems (see the module
/// docs). The value is what the tree deserialized to once the problems were removed from it:
/// `Some` even when there are problems, and `None` when the retries had to stop.
pub fn from_node_all<T: DeserializeOwned>(node: &Node) -> (Option<T>, Vec<Problem>) {
    let mut trimmed = Cow::Borrowed(node);
    let mut removed: Vec<Path> = Vec::new();
    // The fields misspelt ones most likely meant: missing only because of the misspelling,
    // which is reported already.
    let mut meant: Vec<Path> = Vec::new();
    let mut problems = Vec::new();
    while problems.len() < MAX_PROBLEMS {
        let failure = match attempt(&trimmed) {
            Ok(value) => return (Some(value), problems),
            Err(failure) => failure,
        };
        let original = original_path(node, &trimmed, &failure.problem.path);
        let ours = |path: &Path| removed.iter().any(|gone| path.starts_with(gone));
        let caused_by_removal = match &failure.missing {
            Some(field) => {
                let field = original.key(field.as_str());
                ours(&field) || meant.contains(&field)
            }
            None => ours(&original),
        };
        if caused_by_removal {
            break;
        }
        if let Some(field) = &failure.meant {
            meant.push(original.parent().key(field.as_str()));
        }
        let removable = remove(trimmed.to_mut(), &failure.problem.path);
        problems.push(Problem {
            path: original.clone(),
            ..failure.problem
        });
        if !removable {
            break;
        }
        removed.push(original);
    }
    (None, problems)
}

/// One failed attempt: the problem, the field serde found missing, if that was the error, and
/// the field an unknown one most likely meant, if that was the error.
struct Failure {
    problem: Problem,
    missing: Option<String>,
    meant: Option<String>,
}

/// One deserialization of `node`; the failure is boxed, being large and the rarer outcome.
fn attempt<T: DeserializeOwned>(node: &Node) -> Result<T, Box<Failure>> {
    serde_path_to_error::deserialize(node).map_err(|error| {
        let path = path_of(error.path());
        let message = error.inner().to_string();
        let missing = missing_field(&message).map(str::to_owned);
        let mut meant = None;
        let problem = match unknown_field(&message) {
            Some((field, expected)) => {
                let problem = Problem::key(path, format!("unknown field `{field}`"));
                meant = closest(field, &expected).map(str::to_owned);
                match &meant {
                    Some(best) => problem.with_help(format!("did you mean `{best}`?")),
                    None => problem.with_help(format!("expected one of {}", quoted(&expected))),
                }
            }
            None => Problem::value(path, message),
        };
        Box::new(Failure {
            problem,
            missing,
            meant,
        })
    })
}

/// Removes the value at `path` from `node`: the key of an object, or the element of an array.
/// `false` when there is nothing to remove there (the root, or a path that does not exist).
fn remove(node: &mut Node, path: &Path) -> bool {
    let Some((last, parent)) = path.segments().split_last() else {
        return false;
    };
    let mut container = node;
    for segment in parent {
        container = match step_mut(container, segment) {
            Some(next) => next,
            None => return false,
        };
    }
    match (&mut container.value, last) {
        (Value::Object(fields), Segment::Key(key)) => {
            let before = fields.len();
            fields.retain(|field| field.key != *key);
            fields.len() < before
        }
        (Value::Array(items), Segment::Index(index)) if *index < items.len() => {
            items.remove(*index);
            true
        }
        _ => false,
    }
}

fn step_mut<'a>(node: &'a mut Node, segment: &Segment) -> Option<&'a mut Node> {
    if matches!(segment, Segment::Index(0)) && !matches!(node.value, Value::Array(_)) {
        // Index 0 of a single value is the value itself (see `Node::find`).
        return Some(node);
    }
    match (&mut node.value, segment) {
        (Value::Object(fields), Segment::Key(key)) => fields
            .iter_mut()
            .find(|field| field.key == *key)
            .map(|field| &mut field.value),
        (Value::Array(items), Segment::Index(index)) => items.get_mut(*index),
        _ => None,
    }
}

/// `path` in `trimmed` (a copy of `original` with values removed) as a path in `original`:
/// array elements are matched by the span they were written at, since removals shift indexes.
fn original_path(original: &Node, trimmed: &Node, path: &Path) -> Path {
    let mut out = Path::root();
    let mut nodes = Some((original, trimmed));
    for segment in path.segments() {
        let mapped = match (segment, nodes) {
            (Segment::Index(index), Some((old, new))) => Segment::Index(shifted(old, new, *index)),
            (segment, _) => segment.clone(),
        };
        nodes = nodes.and_then(|(old, new)| {
            let old = old.find(&Path(vec![mapped.clone()]))?.0;
            let new = new.find(&Path(vec![segment.clone()]))?.0;
            Some((old, new))
        });
        out.0.push(mapped);
    }
    out
}

/// The index in `old` of the element at `index` in `new`, its trimmed copy.
fn shifted(old: &Node, new: &Node, index: usize) -> usize {
    match (&old.value, &new.value) {
        (Value::Array(old_items), Value::Array(new_items)) => new_items
            .get(index)
            .and_then(|item| old_items.iter().position(|o| o.span == item.span))
            .unwrap_or(index),
        _ => index,
    }
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

/// The field of serde's "missing field `X`".
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
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
    use serde::Deserialize;

    use super::*;
    use crate::workspace::tree::{Format, parse};

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        #[serde(rename = "Name")]
        name: String,
        #[serde(rename = "Note", default)]
        note: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        #[serde(rename = "Items")]
        items: Vec<Item>,
    }

    fn problems(json: &str) -> Vec<String> {
        let tree = parse(Format::Json, json).expect("valid JSON");
        let (_, problems) = from_node_all::<Doc>(&tree);
        problems
            .iter()
            .map(|p| format!("{}: {}", p.path, p.message))
            .collect()
    }

    #[test]
    fn every_problem_is_found_and_located_in_the_file_as_written() {
        let found = problems(
            r#"{"Items": ["a", {"Name": "b", "Note": 1}, {"Name": "c", "X": 1}], "Y": 2}"#,
        );
        assert_eq!(
            found,
            [
                "Items[0]: invalid type: string \"a\", expected struct Item",
                "Items[1].Note: invalid type: integer `1`, expected a string",
                "Items[2].X: unknown field `X`",
                "Y: unknown field `Y`",
            ]
        );
    }

    #[test]
    fn retries_stop_at_a_field_missing_because_of_a_removal() {
        let found = problems(r#"{"Items": [{"Name": 5}, {"Name": "b", "X": 1}]}"#);
        assert_eq!(
            found,
            ["Items[0].Name: invalid type: integer `5`, expected a string"]
        );
        let misspelt = problems(r#"{"Items": [{"Nmae": "a"}]}"#);
        assert_eq!(misspelt, ["Items[0].Nmae: unknown field `Nmae`"]);
    }

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
