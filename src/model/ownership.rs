//! Who owns a live object, read from its `Meta`.
//!
//! meshplan marks what it writes with `Meta["managed-by"] = "meshplan"` and the workspace's name
//! under [`WORKSPACE_KEY`]. Several workspaces can then share one cluster: each deletes only what
//! carries its own name. Objects written before workspaces had names carry the first key alone
//! ([`Owner::Unnamed`]); they are never deleted, since which workspace wrote them is unknown.

use std::fmt;

/// The key of the ownership mark: `Meta["managed-by"]`.
pub const MANAGED_BY_KEY: &str = "managed-by";
/// The value of [`MANAGED_BY_KEY`].
pub const MANAGED_BY_VALUE: &str = "meshplan";
/// The key under which the mark names the workspace: `Meta["meshplan-workspace"]`.
pub const WORKSPACE_KEY: &str = "meshplan-workspace";

/// The `Meta` keys meshplan sets itself; a file may not set them.
pub const MARK_KEYS: [&str; 2] = [MANAGED_BY_KEY, WORKSPACE_KEY];

/// Who owns a live object, as its mark says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// No `managed-by = meshplan` mark: made by hand, by another tool, or by Consul.
    Nobody,
    /// Marked by meshplan before workspaces had names: never deleted, adopted when declared.
    Unnamed,
    /// Marked by the workspace of this name.
    Workspace(String),
}

impl Owner {
    /// The owner that `get(key)` (a lookup in the object's `Meta`) names.
    pub fn from_meta<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Self {
        if get(MANAGED_BY_KEY) != Some(MANAGED_BY_VALUE) {
            return Self::Nobody;
        }
        match get(WORKSPACE_KEY) {
            Some(name) if !name.is_empty() => Self::Workspace(name.to_owned()),
            _ => Self::Unnamed,
        }
    }

    /// Whether the workspace `name` owns the object.
    pub fn is(&self, name: &str) -> bool {
        matches!(self, Self::Workspace(owner) if owner == name)
    }
}

impl fmt::Display for Owner {
    /// `no workspace`, `meshplan without a workspace name`, `workspace "payments"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Nobody => f.write_str("nothing (no meshplan mark)"),
            Self::Unnamed => f.write_str("meshplan, without a workspace name"),
            Self::Workspace(name) => write!(f, "workspace `{name}`"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn owner(pairs: &[(&str, &str)]) -> Owner {
        let meta: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Owner::from_meta(|key| meta.get(key).map(String::as_str))
    }

    #[test]
    fn the_mark_names_the_owner() {
        assert_eq!(owner(&[]), Owner::Nobody);
        assert_eq!(owner(&[("managed-by", "terraform")]), Owner::Nobody);
        assert_eq!(owner(&[("meshplan-workspace", "a")]), Owner::Nobody);
        assert_eq!(owner(&[("managed-by", "meshplan")]), Owner::Unnamed);
        assert_eq!(
            owner(&[("managed-by", "meshplan"), ("meshplan-workspace", "")]),
            Owner::Unnamed
        );
        let named = owner(&[("managed-by", "meshplan"), ("meshplan-workspace", "a")]);
        assert_eq!(named, Owner::Workspace("a".into()));
        assert!(named.is("a"));
        assert!(!named.is("b"));
    }
}
