//! The offline check of one entry against the table: unknown keys and values of the wrong type,
//! every one of them, as Consul's decoder would find them.
//!
//! What counts as the right type follows Consul's decoder (`structs.DecodeConfigEntry`:
//! mapstructure with `WeaklyTypedInput` and `lib/decode.HookWeakDecodeFromSlice`):
//! - a one-element list stands for its element wherever a list is not expected;
//! - a single value stands for a one-element list;
//! - a list of objects where a map is expected is merged into one map;
//! - strings that parse as numbers or bools are numbers or bools, and numbers and bools are
//!   strings (`1`/`0` for bools); numbers and bools convert into each other;
//! - `null` is the zero value of any type.
//!
//! Consul's limits on `Meta` (at most 64 pairs, keys up to 128 bytes, values up to 512) are
//! checked here too, for every kind.

use serde_json::{Map, Value as Json};

use super::{Field, Ty, fields_of, lookup};
use crate::model::exported_services::meta_problems;
use crate::model::normalize::parse_go_duration;
use crate::model::{Meta, Path, Problem};
use crate::suggest::closest;

/// Every problem of `entry`, an entry of `kind`. A kind without a table (see
/// [`super::fields_of`]) is not checked.
pub fn check(kind: &str, entry: &Json) -> Vec<Problem> {
    let (Some(fields), Json::Object(object)) = (fields_of(kind), entry) else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    let top: Map<String, Json> = object
        .iter()
        .filter(|(key, _)| !key.eq_ignore_ascii_case("Kind"))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    check_object(fields, &top, &Path::root(), &mut problems);
    if let Some((key, meta)) = object
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("Meta"))
    {
        problems.extend(meta_limits(&Path::root().key(key.as_str()), meta));
    }
    problems
}

fn check_object(
    fields: &'static [Field],
    object: &Map<String, Json>,
    at: &Path,
    out: &mut Vec<Problem>,
) {
    for (key, value) in object {
        match lookup(fields, key) {
            Some(field) => check_value(field.ty, value, &at.key(key.as_str()), out),
            None => out.push(unknown_key(fields, key, at)),
        }
    }
}

fn unknown_key(fields: &[Field], key: &str, at: &Path) -> Problem {
    let names: Vec<&str> = fields.iter().map(|field| field.name).collect();
    let problem = Problem::key(at.key(key), format!("unknown field `{key}`"));
    match closest(key, &names) {
        Some(best) => problem.with_help(format!("did you mean `{best}`?")),
        None => problem.with_help(format!("the fields here are {}", names.join(", "))),
    }
}

fn check_value(ty: Ty, value: &Json, at: &Path, out: &mut Vec<Problem>) {
    if let Json::Array(items) = value
        && items.len() == 1
        && !matches!(ty, Ty::List(_) | Ty::Opaque)
    {
        return check_value(ty, &items[0], &at.index(0), out);
    }
    let fits = match (ty, value) {
        (_, Json::Null) | (Ty::Opaque, _) => true,
        (Ty::List(item), Json::Array(items)) => {
            for (index, value) in items.iter().enumerate() {
                check_value(*item, value, &at.index(index), out);
            }
            true
        }
        (Ty::List(item), _) => return check_value(*item, value, at, out),
        (Ty::Map(item), _) => check_map(*item, value, at, out),
        (Ty::Struct(fields), Json::Object(object)) => {
            check_object(fields, object, at, out);
            true
        }
        (scalar, value) => scalar_fits(scalar, value),
    };
    if !fits {
        out.push(Problem::value(
            at.clone(),
            format!("expected {}, found {}", expected(ty), found(value)),
        ));
    }
}

/// A map's values, or a list of maps that Consul's decoder merges into one.
fn check_map(item: Ty, value: &Json, at: &Path, out: &mut Vec<Problem>) -> bool {
    match value {
        Json::Object(object) => {
            for (key, value) in object {
                check_value(item, value, &at.key(key.as_str()), out);
            }
            true
        }
        Json::Array(items) if items.iter().all(Json::is_object) => {
            for (index, map) in items.iter().enumerate() {
                check_map(item, map, &at.index(index), out);
            }
            true
        }
        _ => false,
    }
}

/// Whether a scalar value decodes into a field of type `ty` with weak typing.
fn scalar_fits(ty: Ty, value: &Json) -> bool {
    match (ty, value) {
        (Ty::Str | Ty::Int | Ty::Float, Json::Bool(_) | Json::Number(_)) => true,
        (Ty::Bool | Ty::Duration, Json::Bool(_) | Json::Number(_)) => true,
        (Ty::Str | Ty::Time, Json::String(_)) => true,
        (Ty::Bool, Json::String(text)) => text.is_empty() || parses_as_bool(text),
        (Ty::Int, Json::String(text)) => text.is_empty() || parses_as_integer(text),
        (Ty::Float, Json::String(text)) => text.is_empty() || text.parse::<f64>().is_ok(),
        (Ty::Duration, Json::String(text)) => parse_go_duration(text).is_some(),
        _ => false,
    }
}

fn parses_as_bool(text: &str) -> bool {
    parse_go_bool(text).is_some()
}

/// Go's `strconv.ParseBool`.
pub(crate) fn parse_go_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

fn parses_as_integer(text: &str) -> bool {
    parse_go_integer(text).is_some()
}

/// Go's `strconv.ParseInt(text, 0, 64)`: a sign, then decimal, or `0x`, `0o`, `0b` or `0`
/// prefixed digits, `_` allowed between digits when there is a prefix.
pub(super) fn parse_go_integer(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let lower = digits.to_ascii_lowercase();
    let (radix, rest) = match lower.get(..2) {
        Some("0x") => (16, &lower[2..]),
        Some("0o") => (8, &lower[2..]),
        Some("0b") => (2, &lower[2..]),
        _ if lower.len() > 1 && lower.starts_with('0') => (8, &lower[1..]),
        _ if !lower.is_empty() && lower.chars().all(|c| c.is_ascii_digit()) => (10, &lower[..]),
        _ => return None,
    };
    let rest: String = rest.chars().filter(|c| *c != '_').collect();
    if rest.is_empty() || !rest.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i128::from_str_radix(&rest, radix).ok()?;
    i64::try_from(if negative { -magnitude } else { magnitude }).ok()
}

fn expected(ty: Ty) -> String {
    match ty {
        Ty::Duration => "a duration such as \"5s\"".to_owned(),
        Ty::Time => "an RFC 3339 time".to_owned(),
        Ty::List(item) => format!("a list of {}s", noun(*item)),
        Ty::Map(item) => format!("a map of {}s", noun(*item)),
        Ty::Int | Ty::Struct(_) => format!("an {}", noun(ty)),
        _ => format!("a {}", noun(ty)),
    }
}

fn noun(ty: Ty) -> &'static str {
    match ty {
        Ty::Str => "string",
        Ty::Bool => "bool",
        Ty::Int => "integer",
        Ty::Float => "number",
        Ty::Duration => "duration",
        Ty::Time => "time",
        Ty::List(_) => "list",
        Ty::Map(_) => "map",
        Ty::Struct(_) => "object",
        Ty::Opaque => "value",
    }
}

fn found(value: &Json) -> String {
    match value {
        Json::Null => "null".to_owned(),
        Json::Bool(value) => format!("the bool {value}"),
        Json::Number(value) => format!("the number {value}"),
        Json::String(text) if text.chars().count() > 40 => "a string".to_owned(),
        Json::String(text) => format!("the string {text:?}"),
        Json::Array(items) => format!("a list of {} items", items.len()),
        Json::Object(_) => "an object".to_owned(),
    }
}

/// Consul's limits on config-entry `Meta` (`validateConfigEntryMeta`), on the values as written.
fn meta_limits(at: &Path, meta: &Json) -> Vec<Problem> {
    let Json::Object(pairs) = meta else {
        return Vec::new();
    };
    let strings: Meta = pairs
        .iter()
        .map(|(key, value)| match value {
            Json::String(text) => (key.clone(), text.clone()),
            other => (key.clone(), other.to_string()),
        })
        .collect();
    meta_problems(at, &strings)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The problems of `entry`, one line each: `path: message (help)`.
    fn check_entry(entry: Json, expect: &[&str]) {
        let kind = entry
            .get("Kind")
            .or(entry.get("kind"))
            .and_then(Json::as_str);
        let kind = kind.unwrap().to_owned();
        let got: Vec<String> = check(&kind, &entry)
            .iter()
            .map(|p| match &p.help {
                Some(help) => format!("{}: {} ({help})", p.path, p.message),
                None => format!("{}: {}", p.path, p.message),
            })
            .collect();
        assert_eq!(got, expect);
    }

    #[test]
    fn a_typo_is_an_unknown_field_with_a_suggestion() {
        check_entry(
            json!({"Kind": "service-defaults", "Name": "web", "Protocl": "http"}),
            &["Protocl: unknown field `Protocl` (did you mean `Protocol`?)"],
        );
    }

    #[test]
    fn keys_match_in_any_case_and_by_alias() {
        check_entry(
            json!({"kind": "service-defaults", "name": "web", "protocol": "http",
                   "mesh_gateway": {"mode": "local"}, "MutualTLSMode": "strict"}),
            &[],
        );
    }

    #[test]
    fn nested_typos_and_types_are_found_everywhere() {
        check_entry(
            json!({"Kind": "service-resolver", "Name": "web",
                   "ConnectTimeout": "5 seconds",
                   "Failover": {"*": {"Targets": [{"Peer": "b", "Servise": "web"}]}},
                   "LoadBalancer": {"Policy": "ring_hash", "RingHashConfig": {"MinimumRingSize": "ten"}}}),
            &[
                "ConnectTimeout: expected a duration such as \"5s\", found the string \"5 seconds\"",
                "Failover.*.Targets[0].Servise: unknown field `Servise` (did you mean `Service`?)",
                "LoadBalancer.RingHashConfig.MinimumRingSize: expected an integer, found the string \"ten\"",
            ],
        );
    }

    #[test]
    fn weak_typing_is_accepted_as_consul_accepts_it() {
        check_entry(
            json!({"Kind": "service-router", "Name": "web", "Routes": {
                "Match": [{"HTTP": {"PathPrefix": "/a", "Methods": "GET"}}],
                "Destination": {"NumRetries": "3", "RetryOnConnectFailure": "true",
                                "RequestTimeout": 5_000_000_000_u64, "Service": ["api"]}}}),
            &[],
        );
    }

    #[test]
    fn values_of_the_wrong_shape_are_refused() {
        check_entry(
            json!({"Kind": "service-router", "Name": "web", "Routes": [
                {"Destination": {"NumRetries": "three", "RetryOnConnectFailure": "maybe"}},
                {"Match": "GET /"}]}),
            &[
                "Routes[0].Destination.NumRetries: expected an integer, found the string \"three\"",
                "Routes[0].Destination.RetryOnConnectFailure: expected a bool, found the string \"maybe\"",
                "Routes[1].Match: expected an object, found the string \"GET /\"",
            ],
        );
    }

    #[test]
    fn opaque_maps_are_not_looked_into() {
        check_entry(
            json!({"Kind": "proxy-defaults", "Name": "global",
                   "Config": {"anything": [1, {"goes": true}]},
                   "EnvoyExtensions": [{"Name": "x", "Arguments": {"Whatever": 1}}]}),
            &[],
        );
    }

    #[test]
    fn meta_limits_apply_to_every_kind() {
        let long = "v".repeat(513);
        check_entry(
            json!({"Kind": "mesh", "Meta": {"owner": long}}),
            &[
                "Meta.owner: Meta value for key \"owner\" exceeds maximum length 512 (it is 513 bytes long)",
            ],
        );
    }

    #[test]
    fn kinds_without_a_table_are_not_checked() {
        check_entry(
            json!({"Kind": "control-plane-request-limit", "Name": "x", "Bogus": 1}),
            &[],
        );
    }

    #[test]
    fn go_integers_parse_as_strconv_does() {
        for good in ["0", "-12", "+7", "0x1F", "0o17", "017", "0b1_0"] {
            assert!(parses_as_integer(good), "{good}");
        }
        for bad in ["", "1.5", "three", "0x", "1_000"] {
            assert!(!parses_as_integer(bad), "{bad}");
        }
    }
}
