//! The fields of every config-entry kind Consul CE knows, and their value types: what a file
//! of a kind meshplan does not model may say, checked offline ([`check`]) so that a typo like
//! `Protocl = "http"` is refused at its line instead of at apply.
//!
//! # Where the table comes from
//! [`table`] was derived once from the Go source of Consul 1.22.7's `agent/structs` package
//! (`config_entry*.go`, and the types those structs use), which is what `PUT /v1/config` decodes
//! into (`structs.DecodeConfigEntry`). For every struct field it records the name Consul's decoder
//! matches (the field name, or its `mapstructure` tag), the snake_case spellings of its `alias`
//! tag (`lib/decode.HookTranslateKeys`), and a value type. `map[string]interface{}` and
//! `interface{}` fields (`Config`, `Arguments`, ...) are opaque user data, never looked into.
//! The embedded `acl.EnterpriseMeta` gives `Namespace` and `Partition`, and `RaftIndex`
//! `CreateIndex` and `ModifyIndex`. Kinds are those of `structs.MakeConfigEntry`.
//!
//! # Keeping it true
//! `tests/it/kinds.rs` writes an entry of every kind to a real agent and fails when the agent
//! returns a key the table does not know, and when a key the table refuses is accepted. When
//! the Consul the tests run against moves to a new release, that test says which fields to add:
//! read them from the new release's `agent/structs` and add them here.

mod check;
mod decode;
mod table;

pub use check::check;
pub(crate) use check::parse_go_bool;
pub use decode::weak_decode;
pub use table::KINDS;

/// What a field's value must be, as Consul's decoder (mapstructure with weak typing) reads it.
#[derive(Debug, Clone, Copy)]
pub enum Ty {
    Str,
    Bool,
    /// Any Go integer type.
    Int,
    Float,
    /// A `time.Duration`: a Go duration string (`"5s"`) or a number of nanoseconds.
    Duration,
    /// A `time.Time`, written as an RFC 3339 string.
    Time,
    List(&'static Ty),
    /// A map from strings to values of the type.
    Map(&'static Ty),
    Struct(&'static [Field]),
    /// User data (`map[string]interface{}`, `interface{}`): anything goes.
    Opaque,
}

/// One field of a Go struct.
#[derive(Debug)]
pub struct Field {
    /// The name Consul's decoder matches, ASCII case-insensitively.
    pub name: &'static str,
    /// Other spellings Consul accepts for it (its `alias` tag), also case-insensitively.
    pub aliases: &'static [&'static str],
    pub ty: Ty,
}

const fn field(name: &'static str, aliases: &'static [&'static str], ty: Ty) -> Field {
    Field { name, aliases, ty }
}

/// The top-level fields of `kind`, or `None` for a kind Consul CE has no struct for
/// (`control-plane-request-limit` is Enterprise-only; CE refuses the kind on write).
pub fn fields_of(kind: &str) -> Option<&'static [Field]> {
    KINDS
        .iter()
        .find(|(name, _)| *name == kind)
        .map(|(_, fields)| *fields)
}

/// The field `key` names among `fields`, matched as Consul matches it: the field name in any
/// letter case, or one of its aliases in any letter case. `_` is not ignored otherwise
/// (`Protocol_` and `pro_tocol` name nothing).
pub fn lookup(fields: &'static [Field], key: &str) -> Option<&'static Field> {
    fields
        .iter()
        .find(|field| field.name.eq_ignore_ascii_case(key))
        .or_else(|| {
            fields.iter().find(|field| {
                field
                    .aliases
                    .iter()
                    .any(|alias| alias.eq_ignore_ascii_case(key))
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name_of(kind: &str, key: &str) -> Option<&'static str> {
        lookup(fields_of(kind)?, key).map(|field| field.name)
    }

    #[test]
    fn lookup_matches_any_case_and_the_aliases() {
        assert_eq!(name_of("service-defaults", "protocol"), Some("Protocol"));
        assert_eq!(name_of("service-defaults", "PROTOCOL"), Some("Protocol"));
        assert_eq!(
            name_of("service-defaults", "mutual_tls_mode"),
            Some("MutualTLSMode")
        );
        assert_eq!(
            name_of("service-defaults", "Mutual_TLS_Mode"),
            Some("MutualTLSMode")
        );
        assert_eq!(name_of("service-defaults", "Protocl"), None);
        assert_eq!(name_of("service-defaults", "pro_tocol"), None);
        assert_eq!(name_of("mesh", "Name"), None, "the mesh entry has no Name");
    }

    #[test]
    fn every_kind_with_a_struct_has_a_table() {
        for kind in crate::model::kinds::KNOWN_KINDS {
            let expected = *kind != "control-plane-request-limit";
            assert_eq!(fields_of(kind).is_some(), expected, "{kind}");
        }
    }

    #[test]
    fn nested_structs_are_covered_to_their_leaves() {
        let resolver = fields_of("service-resolver").unwrap();
        let Ty::Struct(balancer) = lookup(resolver, "load_balancer").unwrap().ty else {
            panic!("LoadBalancer is a struct");
        };
        let Ty::Struct(ring) = lookup(balancer, "RingHashConfig").unwrap().ty else {
            panic!("RingHashConfig is a struct");
        };
        assert!(matches!(
            lookup(ring, "minimum_ring_size").unwrap().ty,
            Ty::Int
        ));
        let proxy = fields_of("proxy-defaults").unwrap();
        assert!(matches!(lookup(proxy, "Config").unwrap().ty, Ty::Opaque));
    }
}
