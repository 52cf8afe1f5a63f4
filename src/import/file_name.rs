//! Where an imported entry's file goes in its cluster's folder: a name a person would pick, the
//! same on every import of the same entry.
//!
//! `exported-services.hcl` (the partition's one entry), `mesh.hcl`, `<service>-intentions.hcl`
//! (as in `examples/seed`), `<service>-defaults.hcl`, `-router`, `-splitter`, `-resolver` for
//! the other `service-*` kinds, and `<name>-<kind>.hcl` for the rest. The wildcard `*` is
//! spelt `all-services`; other characters that are awkward in file names become `_`, and a
//! leading `.` too (the loader skips hidden files). Entries of a non-default namespace or
//! partition go in `partition-<p>/namespace-<ns>/` folders.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::model::EntryKey;
use crate::model::entry::{EXPORTED_SERVICES, MESH};

/// File names for entries in a fixed order: a name already taken (by a file the workspace
/// has, or by two names that differ only in awkward characters) gets `-2`, `-3`, ...
#[derive(Default)]
pub struct Names {
    taken: BTreeSet<PathBuf>,
}

impl Names {
    /// Keeps `path` from being given to another entry.
    pub fn reserve(&mut self, path: PathBuf) {
        self.taken.insert(path);
    }

    /// The path for `key` in the cluster folder `folder`, with the file extension `extension`.
    pub fn path(&mut self, folder: &Path, key: &EntryKey, extension: &str) -> PathBuf {
        let mut folder = folder.to_path_buf();
        if let Some(partition) = &key.partition {
            folder.push(format!("partition-{}", sanitize(partition)));
        }
        if let Some(namespace) = &key.namespace {
            folder.push(format!("namespace-{}", sanitize(namespace)));
        }
        let stem = stem(key);
        let mut candidate = folder.join(format!("{stem}.{extension}"));
        let mut n = 2;
        while !self.taken.insert(candidate.clone()) {
            candidate = folder.join(format!("{stem}-{n}.{extension}"));
            n += 1;
        }
        candidate
    }
}

fn stem(key: &EntryKey) -> String {
    let name = match key.name.as_str() {
        "*" => "all-services".to_owned(),
        name => sanitize(name),
    };
    match key.kind.as_str() {
        EXPORTED_SERVICES if key.name == "default" => EXPORTED_SERVICES.to_owned(),
        MESH => MESH.to_owned(),
        kind if name.is_empty() => kind.to_owned(),
        kind => match kind.strip_prefix("service-") {
            Some(short) => format!("{name}-{short}"),
            None => format!("{name}-{kind}"),
        },
    }
}

/// `text` with only ASCII letters, digits, `-`, `_` and `.`, and no leading `.`.
fn sanitize(text: &str) -> String {
    text.chars()
        .enumerate()
        .map(|(at, c)| match c {
            '.' if at == 0 => '_',
            c if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') => c,
            _ => '_',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kind: &str, name: &str) -> EntryKey {
        EntryKey {
            kind: kind.into(),
            name: name.into(),
            namespace: None,
            partition: None,
        }
    }

    fn path(names: &mut Names, key: &EntryKey) -> String {
        names.path(Path::new(""), key, "hcl").display().to_string()
    }

    #[test]
    fn names_read_like_the_seed_example() {
        let mut names = Names::default();
        let cases = [
            (key("exported-services", "default"), "exported-services.hcl"),
            (
                key("service-intentions", "frontend-service"),
                "frontend-service-intentions.hcl",
            ),
            (
                key("service-intentions", "*"),
                "all-services-intentions.hcl",
            ),
            (key("service-defaults", "api"), "api-defaults.hcl"),
            (key("proxy-defaults", "global"), "global-proxy-defaults.hcl"),
            (key("mesh", "mesh"), "mesh.hcl"),
            (key("jwt-provider", "okta"), "okta-jwt-provider.hcl"),
        ];
        for (key, expected) in cases {
            assert_eq!(path(&mut names, &key), expected);
        }
    }

    #[test]
    fn awkward_names_are_safe_and_never_collide() {
        let mut names = Names::default();
        names.reserve(PathBuf::from("b-defaults.hcl"));
        assert_eq!(
            path(&mut names, &key("service-defaults", "b")),
            "b-defaults-2.hcl"
        );
        assert_eq!(
            path(&mut names, &key("service-defaults", "a/b")),
            "a_b-defaults.hcl"
        );
        assert_eq!(
            path(&mut names, &key("service-defaults", "a b")),
            "a_b-defaults-2.hcl"
        );
        assert_eq!(
            path(&mut names, &key("service-defaults", ".x")),
            "_x-defaults.hcl"
        );
        let mut scoped = key("service-defaults", "api");
        scoped.namespace = Some("team-a".into());
        scoped.partition = Some("payments".into());
        assert_eq!(
            path(&mut names, &scoped),
            "partition-payments/namespace-team-a/api-defaults.hcl"
        );
    }
}
