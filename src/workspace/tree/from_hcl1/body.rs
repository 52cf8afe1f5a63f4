//! The fields of one body (the file, a block, or `{ … }`), and what a key written twice makes.
//!
//! HCL1's decoder (`decoder.go` `decodeMap` and `decodeSlice`, decoding into the
//! `map[string]interface{}` of Consul's `ParseConfigEntry`) appends whatever it decodes for a
//! key already seen to the list it already holds, and overwrites a string, number or bool. The
//! tree keeps the shape `from_hcl.rs` gives the HCL2 spelling of the same data:
//!
//! - One block, or one `key = { … }` (the same thing in HCL1), is an object; several, and any
//!   mix of them with `key = [ { … } ]` lists, are one array in the order written.
//! - `key "a" "b" { … }` is `key` → `a` → `b` → the body; blocks of one key merge by label, the
//!   same labels twice and a different number of labels are errors, as in `from_hcl.rs`.
//! - A string, number, bool or a list of them written twice is an error at the second: HCL1
//!   would silently keep the last value, or fail, depending on the order.

use std::collections::HashMap;
use std::ops::Range;

use super::super::{Errors, Field, Node, SyntaxError, Value, line_of};

/// A key as written: its text (unquoted) and span.
#[derive(Debug, Clone)]
pub(super) struct Key {
    pub name: String,
    pub span: Range<usize>,
}

#[derive(Default)]
pub(super) struct Body {
    entries: Vec<Entry>,
    /// Position of each key in `entries`, so large bodies are not searched key by key.
    index: HashMap<String, usize>,
}

struct Entry {
    key: String,
    key_span: Range<usize>,
    slot: Slot,
}

enum Slot {
    /// A string, number, bool, or a list holding one: never repeated.
    Single(Node),
    /// Blocks, `{ … }` objects and lists of objects: one object alone, or an array of all.
    Objects(Node),
    /// Blocks with labels: the number of labels and where the first block is.
    Labelled {
        count: usize,
        first: Range<usize>,
        levels: Levels,
    },
}

impl Body {
    pub(super) fn into_fields(self) -> Vec<Field> {
        self.entries.into_iter().map(Entry::into_field).collect()
    }

    fn entry(&mut self, key: &str) -> Option<&mut Entry> {
        let position = *self.index.get(key)?;
        self.entries.get_mut(position)
    }

    fn push(&mut self, key: Key, slot: Slot) {
        self.index.insert(key.name.clone(), self.entries.len());
        self.entries.push(Entry {
            key: key.name,
            key_span: key.span,
            slot,
        });
    }

    /// `key = value`, and a block without labels (`node` is its body).
    pub(super) fn attribute(&mut self, key: Key, node: Node, text: &str, errors: &mut Errors) {
        let combines = holds_objects(&node);
        let Some(entry) = self.entry(&key.name) else {
            let slot = match combines {
                true => Slot::Objects(node),
                false => Slot::Single(node),
            };
            self.push(key, slot);
            return;
        };
        match (&mut entry.slot, combines) {
            (Slot::Objects(existing), true) => append(existing, node),
            (Slot::Labelled { count, first, .. }, true) => {
                errors.push(label_count_mismatch(text, &key, 0, *count, first.start));
            }
            _ => errors.push(repeated(text, &key, entry.key_span.start)),
        }
    }

    /// `key "label" … { … }` with at least one label; `node` is the block's body.
    pub(super) fn block(
        &mut self,
        keys: &[Key],
        header: Range<usize>,
        node: Node,
        text: &str,
        errors: &mut Errors,
    ) {
        let [key, labels @ ..] = keys else {
            return;
        };
        if labels.is_empty() {
            return self.attribute(key.clone(), node, text, errors);
        }
        let Some(entry) = self.entry(&key.name) else {
            let mut levels = Levels::default();
            // A new key has no labels yet, so nothing can be declared twice.
            let _ = levels.insert(labels, node);
            let count = labels.len();
            let first = header;
            self.push(
                key.clone(),
                Slot::Labelled {
                    count,
                    first,
                    levels,
                },
            );
            return;
        };
        match &mut entry.slot {
            Slot::Labelled { count, levels, .. } if *count == labels.len() => {
                if let Err(first) = levels.insert(labels, node) {
                    errors.push(duplicate_block(text, keys, header, first));
                }
            }
            Slot::Labelled { count, first, .. } => {
                let error = label_count_mismatch(text, key, labels.len(), *count, first.start);
                errors.push(error.at(header));
            }
            Slot::Objects(_) => {
                let error = label_count_mismatch(text, key, labels.len(), 0, entry.key_span.start);
                errors.push(error.at(header));
            }
            Slot::Single(_) => errors.push(repeated(text, key, entry.key_span.start)),
        }
    }
}

impl Entry {
    fn into_field(self) -> Field {
        let value = match self.slot {
            Slot::Single(node) | Slot::Objects(node) => node,
            Slot::Labelled { first, levels, .. } => {
                Node::new(first, Value::Object(levels.into_fields()))
            }
        };
        Field {
            key: self.key,
            key_span: self.key_span,
            value,
        }
    }
}

/// An object, or a list whose items are all objects.
fn holds_objects(node: &Node) -> bool {
    match &node.value {
        Value::Object(_) => true,
        Value::Array(items) => items
            .iter()
            .all(|item| matches!(item.value, Value::Object(_))),
        _ => false,
    }
}

/// Adds an object, or a list's objects, after what `existing` holds, making it an array.
fn append(existing: &mut Node, node: Node) {
    if !matches!(existing.value, Value::Array(_)) {
        let single = std::mem::replace(existing, Node::new(existing.span.clone(), Value::Null));
        existing.value = Value::Array(vec![single]);
    }
    if let Value::Array(items) = &mut existing.value {
        match node.value {
            Value::Array(more) => items.extend(more),
            _ => items.push(node),
        }
    }
}

/// The levels under a labelled block's key: label → label → … → body.
#[derive(Default)]
struct Levels {
    entries: Vec<Level>,
    index: HashMap<String, usize>,
}

struct Level {
    key: Key,
    child: Child,
}

enum Child {
    Body(Node),
    /// More labels, in an object spanning the first label written at that level.
    Deeper(Range<usize>, Levels),
}

impl Levels {
    /// Adds the path `labels` ending in `body`.
    ///
    /// # Errors
    /// The start of the first block's last label when the same labels were written before.
    fn insert(&mut self, labels: &[Key], body: Node) -> Result<(), usize> {
        let [label, rest @ ..] = labels else {
            return Ok(());
        };
        let Some(&position) = self.index.get(&label.name) else {
            let child = match rest.first() {
                None => Child::Body(body),
                Some(next) => {
                    let mut deeper = Levels::default();
                    deeper.insert(rest, body)?;
                    Child::Deeper(next.span.clone(), deeper)
                }
            };
            self.index.insert(label.name.clone(), self.entries.len());
            self.entries.push(Level {
                key: label.clone(),
                child,
            });
            return Ok(());
        };
        match self.entries.get_mut(position).map(|level| &mut level.child) {
            Some(Child::Deeper(_, deeper)) => deeper.insert(rest, body),
            _ => Err(self
                .entries
                .get(position)
                .map_or(0, |level| level.key.span.start)),
        }
    }

    fn into_fields(self) -> Vec<Field> {
        let into_field = |level: Level| Field {
            key: level.key.name,
            key_span: level.key.span,
            value: match level.child {
                Child::Body(node) => node,
                Child::Deeper(span, deeper) => Node::new(span, Value::Object(deeper.into_fields())),
            },
        };
        self.entries.into_iter().map(into_field).collect()
    }
}

fn repeated(text: &str, key: &Key, first: usize) -> SyntaxError {
    let message = format!(
        "`{}` is already set on line {}",
        key.name,
        line_of(text, first)
    );
    SyntaxError::new(key.span.clone(), message).with_help(
        "remove one of them: only blocks, `{ … }` objects and lists of objects may be repeated, \
         and they make a list",
    )
}

fn label_count_mismatch(
    text: &str,
    key: &Key,
    labels: usize,
    first_labels: usize,
    first: usize,
) -> SyntaxError {
    let name = &key.name;
    let message = format!(
        "this `{name}` block has {labels} label(s), but the first one (line {}) has {first_labels}",
        line_of(text, first),
    );
    SyntaxError::new(key.span.clone(), message).with_help(format!(
        "give every `{name}` block the same number of labels"
    ))
}

fn duplicate_block(text: &str, keys: &[Key], header: Range<usize>, first: usize) -> SyntaxError {
    let labels: Vec<String> = keys
        .iter()
        .skip(1)
        .map(|key| format!("{:?}", key.name))
        .collect();
    let name = keys.first().map_or("", |key| key.name.as_str());
    let message = format!(
        "`{name} {}` is declared twice (first on line {})",
        labels.join(" "),
        line_of(text, first)
    );
    SyntaxError::new(header, message)
        .with_help("merge the two blocks, or give one of them other labels")
}

trait At {
    fn at(self, span: Range<usize>) -> Self;
}

impl At for SyntaxError {
    fn at(mut self, span: Range<usize>) -> Self {
        self.span = span;
        self
    }
}
