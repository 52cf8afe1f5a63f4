//! A location inside one document (a config entry or the workspace file), in the document's
//! own keys: `Sources[0].Action`. Validation reports problems by path so that the workspace
//! loader, which alone knows the source text, can turn them into `file:line:column`.

use std::fmt;

use compact_str::CompactString;

/// One step of a [`Path`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// Held inline up to 24 bytes: validation extends a path at every field it checks, problem
    /// or not, and keys are short.
    Key(CompactString),
    Index(usize),
}

/// A path from the root of a document to a value in it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Path(pub Vec<Segment>);

impl Path {
    pub fn root() -> Self {
        Self::default()
    }

    /// This path extended by an object key.
    pub fn key(&self, key: impl Into<CompactString>) -> Self {
        self.then(Segment::Key(key.into()))
    }

    /// This path extended by an array index.
    pub fn index(&self, index: usize) -> Self {
        self.then(Segment::Index(index))
    }

    /// This path extended by `segment`, allocated once at its final length: validation
    /// extends a path at every field it checks, and a clone grown by one reallocates.
    fn then(&self, segment: Segment) -> Self {
        let mut segments = Vec::with_capacity(self.0.len() + 1);
        segments.extend_from_slice(&self.0);
        segments.push(segment);
        Self(segments)
    }

    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// This path without its last segment (the root stays the root).
    pub fn parent(&self) -> Self {
        let mut parent = self.clone();
        parent.0.pop();
        parent
    }

    /// Whether `prefix` is this path or one of its ancestors.
    pub fn starts_with(&self, prefix: &Path) -> bool {
        self.0.starts_with(&prefix.0)
    }
}

impl fmt::Display for Path {
    /// Consul's own notation: `Sources[0].Permissions[1].HTTP`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if i == 0 => write!(f, "{key}")?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_consul_error_paths() {
        let path = Path::root()
            .key("Sources")
            .index(0)
            .key("Permissions")
            .index(1)
            .key("HTTP");
        assert_eq!(path.to_string(), "Sources[0].Permissions[1].HTTP");
    }
}
