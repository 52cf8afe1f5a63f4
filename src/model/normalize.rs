//! One canonical form for config entries, so that what meshplan writes and what Consul returns
//! for it compare equal: the planner's defence against false drift.
//!
//! Consul changes an entry on write and adds to it on read (consul-api.md §2.3–2.5):
//! - it adds `CreateIndex`, `ModifyIndex` and `Hash`;
//! - on intention sources it adds `Precedence`, defaults `Type` to `consul`, uppercases HTTP
//!   `Methods`, clears the legacy fields and re-sorts the sources by precedence (stable);
//! - Community Edition drops `Namespace`/`Partition` when they are empty or `default`,
//!   Enterprise fills them in (a local intention source inherits the destination's);
//! - it omits empty values (`omitempty`) and shows Go zero values of structs (`"Expose": {}`);
//! - it writes durations the Go way (`1m0s` for `60s`) and always spells keys in PascalCase,
//!   while it *accepts* any case and snake_case aliases;
//! - it decodes with weak typing (`"2"` is stored as `2` in a number field, a one-element list
//!   as its object in an object field): for kinds meshplan does not model, the table of
//!   Consul's fields converts a file's values the same way (`schema::weak_decode`).
//!
//! [`canonical`] undoes all of that on either side. Its result keeps the keys as written (the
//! *display form*, what plans show); [`comparable`] folds the keys for equality only, and
//! [`align_keys`] gives one side the other's spelling so that diffs show real changes only.
//!
//! Decisions, all in the direction of "no false drift":
//! - Object members that are `null`, `""`, `[]`, `{}`, `false` or `0` are dropped: Consul's
//!   structs are Go values, where such a member and an absent one are the same stored entry.
//!   The cost: a change between an explicit zero and absent on one of Consul's few pointer
//!   fields is not seen. Array elements are kept as they are (position matters).
//! - Numbers with an integral value are written as integers (`1.0` → `1`).
//! - A string under a key ending in `timeout`, `interval`, `time` or `duration` that parses as
//!   a Go duration is rewritten as Go prints it (`90s` → `1m30s`); a zero duration is dropped.
//! - Legacy source fields (`LegacyID`, `LegacyCreateTime`, `LegacyUpdateTime`) are dropped:
//!   Consul clears them on any write, so they can never be a change meshplan could make.
//! - Keys are compared lowercased without underscores, except inside maps whose keys are user
//!   data (`Meta`, `LegacyMeta`, `Config`, `Arguments`), which Consul keeps verbatim.
//! - Objects are sorted: `Kind`, `Name`, then by folded key, so both sides print alike.
//! - Lists whose order Consul gives no meaning are sets, sorted by the identity Consul keys them
//!   by, so that a reordering is no change: intention sources by precedence (as Consul sorts
//!   them), then by [`SOURCE_IDENTITY`] (two sources of one precedence cannot match the same
//!   caller, so their order is moot); exported services by [`SERVICE_IDENTITY`]; their consumers
//!   by [`CONSUMER_IDENTITY`]. Ordered lists (permissions: the first match wins; routes) keep
//!   their order.

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

use super::entry::{EXPORTED_SERVICES, SERVICE_INTENTIONS};

/// Maps whose keys are user data: kept as written, never folded or renamed.
const VERBATIM_MAPS: [&str; 4] = ["meta", "legacymeta", "config", "arguments"];

/// Top-level fields the server computes: never part of what the files say.
const SERVER_FIELDS: [&str; 3] = ["createindex", "modifyindex", "hash"];

/// Intention source fields Consul clears (or recomputes) on every write.
const SOURCE_SERVER_FIELDS: [&str; 4] = [
    "precedence",
    "legacyid",
    "legacycreatetime",
    "legacyupdatetime",
];

/// Key suffixes (folded) of the fields that hold Go durations in Consul's config entries
/// (`ConnectTimeout`, `Interval`, `BaseEjectionTime`, `CacheDuration`, ...).
const DURATION_SUFFIXES: [&str; 4] = ["timeout", "interval", "time", "duration"];

const WILDCARD: &str = "*";

/// What identifies an intention source among an entry's sources (folded keys).
pub const SOURCE_IDENTITY: [&str; 5] = ["name", "peer", "namespace", "partition", "samenessgroup"];
/// What identifies a service among an exported-services entry's services (folded keys).
pub const SERVICE_IDENTITY: [&str; 2] = ["name", "namespace"];
/// What identifies a consumer among a service's consumers (folded keys).
pub const CONSUMER_IDENTITY: [&str; 3] = ["peer", "partition", "samenessgroup"];

/// The values of the `identity` fields of `value` (absent: empty), for sorting and matching
/// set elements.
pub fn identity(value: &Value, identity: &[&str]) -> Vec<String> {
    identity
        .iter()
        .map(|key| identity_field(value, key).to_owned())
        .collect()
}

/// How `a` and `b` sort by their `identity` fields ([`identity`], without copying them).
fn identity_order(a: &Value, b: &Value, identity: &[&str]) -> Ordering {
    identity
        .iter()
        .map(|key| identity_field(a, key).cmp(identity_field(b, key)))
        .find(|order| order.is_ne())
        .unwrap_or(Ordering::Equal)
}

/// The text of `value`'s identity field `key` (folded); absent, empty.
fn identity_field<'a>(value: &'a Value, key: &str) -> &'a str {
    value
        .as_object()
        .and_then(|map| string_field(map, key))
        .unwrap_or_default()
}

/// The canonical display form of a config entry of `kind`, whether it is meshplan's PUT body or
/// Consul's GET body. Idempotent. Keys keep their spelling; compare with [`comparable`].
pub fn canonical(kind: &str, entry: &Value) -> Value {
    let mut value = normalized(kind, entry.clone());
    display_order(&mut value);
    value
}

/// [`canonical`] without the display order of keys, which equality ignores: what plans
/// compare, thousands of times per plan, so it skips the sorting.
pub fn normalized(kind: &str, entry: Value) -> Value {
    let mut value = entry;
    if let Value::Object(map) = &mut value {
        remove_fields(map, &SERVER_FIELDS);
        remove_default(map, "namespace", None);
        remove_default(map, "partition", None);
        if kind.eq_ignore_ascii_case(EXPORTED_SERVICES) {
            exported_services(map);
        } else if kind.eq_ignore_ascii_case(SERVICE_INTENTIONS) {
            service_intentions(map);
        } else {
            super::schema::weak_decode(kind, map);
            server_defaults(kind, map);
        }
    }
    clean(&mut value, None);
    value
}

/// Wraps each object of `value` in a one-element list wherever `like` has a one-element list:
/// Consul decodes a single object where a list is expected as that list (an HCL file's single
/// `Routes { … }` block, in a kind meshplan does not model), so the two say the same.
pub fn lift_singletons(value: &mut Value, like: &Value) {
    match like {
        Value::Array(items) if items.len() == 1 && value.is_object() => {
            *value = Value::Array(vec![value.take()]);
            lift_singletons(value, like);
        }
        Value::Array(items) => {
            if let Value::Array(values) = value {
                for (value, like) in values.iter_mut().zip(items) {
                    lift_singletons(value, like);
                }
            }
        }
        Value::Object(likes) => {
            if let Value::Object(map) = value {
                for (key, child) in map.iter_mut() {
                    // The same spelling first: a lookup rather than a scan of folded keys.
                    let twin = likes.get(key).or_else(|| {
                        likes
                            .iter()
                            .find(|(other, _)| fold_alike(other, key))
                            .map(|(_, twin)| twin)
                    });
                    if let Some(twin) = twin {
                        lift_singletons(child, twin);
                    }
                }
            }
        }
        _ => {}
    }
}

/// Whether two canonical forms say the same: equal as they are (the usual case, since Consul
/// and meshplan both spell keys as Consul's docs do), or once keys are folded.
pub fn same(a: &Value, b: &Value) -> bool {
    a == b || comparable(a) == comparable(b)
}

/// `value` with every key outside user-data maps folded to lowercase without underscores:
/// Consul matches keys case-insensitively and accepts snake_case aliases, so `protocol`,
/// `Protocol` and `PROTOCOL` are one field. For equality only; never shown.
pub fn comparable(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, child)| {
                    let folded = fold_key(key);
                    let child = if VERBATIM_MAPS.contains(&folded.as_str()) {
                        child.clone()
                    } else {
                        comparable(child)
                    };
                    (folded, child)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(comparable).collect()),
        other => other.clone(),
    }
}

/// Renames keys of `value` to the spelling `like` uses for the same field (same folded key),
/// recursively, so a diff of the two shows changed values rather than changed spellings.
pub fn align_keys(value: &mut Value, like: &Value) {
    match (value, like) {
        (Value::Object(map), Value::Object(like)) => {
            let aligned = std::mem::take(map).into_iter().map(|(key, mut child)| {
                let folded = fold_key(&key);
                let verbatim = VERBATIM_MAPS.contains(&folded.as_str());
                let twin = like.iter().find(|(other, _)| fold_key(other) == folded);
                match twin {
                    Some((other, other_child)) => {
                        if !verbatim {
                            align_keys(&mut child, other_child);
                        }
                        (other.clone(), child)
                    }
                    None => (key, child),
                }
            });
            *map = aligned.collect();
            sort_keys(map);
        }
        (Value::Array(items), Value::Array(like)) => {
            for (item, like) in items.iter_mut().zip(like) {
                align_keys(item, like);
            }
        }
        _ => {}
    }
}

/// A key as Consul's decoder matches it: case-insensitive, `_` ignored (`peer_name` = `PeerName`
/// for matching purposes; which spellings Consul *accepts* is the typed kinds' business).
pub fn fold_key(key: &str) -> String {
    if key.is_ascii() {
        return folded_ascii(key).map(char::from).collect();
    }
    folded(key).collect()
}

/// Whether `key` folds to `folded_key` ([`fold_key`] without allocating: normalisation looks up
/// and sorts keys thousands of times per plan).
pub fn folds_to(key: &str, folded_key: &str) -> bool {
    if key.is_ascii() {
        // Bytes, not chars: keys are ASCII but for user data, and a non-ASCII byte of
        // `folded_key` matches no ASCII byte, as its char matches no ASCII char.
        return folded_ascii(key).eq(folded_key.bytes());
    }
    folded(key).eq(folded_key.chars())
}

/// Whether `key`, folded, ends with `suffix` (already folded).
fn folded_ends_with(key: &str, suffix: &str) -> bool {
    if key.is_ascii() {
        let mut reversed = folded_ascii(key).rev();
        return suffix.bytes().rev().all(|b| reversed.next() == Some(b));
    }
    let mut reversed = folded(key).rev();
    suffix.chars().rev().all(|c| reversed.next() == Some(c))
}

/// Whether two keys fold to the same key.
fn fold_alike(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return folded_ascii(a).eq(folded_ascii(b));
    }
    folded(a).eq(folded(b))
}

/// [`folded`] of an ASCII key, byte by byte: the same result without decoding chars and
/// looking up their lowercase, which led the planner's profile.
fn folded_ascii(key: &str) -> impl DoubleEndedIterator<Item = u8> + '_ {
    key.bytes()
        .filter(|b| *b != b'_')
        .map(|b| b.to_ascii_lowercase())
}

fn folded(key: &str) -> impl DoubleEndedIterator<Item = char> + '_ {
    key.chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
}

/// The member of `map` whose key folds to `folded`.
fn field<'a>(map: &'a Map<String, Value>, folded: &str) -> Option<&'a Value> {
    map.iter()
        .find(|(key, _)| folds_to(key, folded))
        .map(|(_, value)| value)
}

fn field_mut<'a>(map: &'a mut Map<String, Value>, folded: &str) -> Option<&'a mut Value> {
    map.iter_mut()
        .find(|(key, _)| folds_to(key, folded))
        .map(|(_, value)| value)
}

fn remove_fields(map: &mut Map<String, Value>, folded: &[&str]) {
    map.retain(|key, _| !folded.iter().any(|f| folds_to(key, f)));
}

/// A non-empty string member, by folded key.
fn string_field<'a>(map: &'a Map<String, Value>, folded: &str) -> Option<&'a str> {
    field(map, folded)
        .and_then(Value::as_str)
        .filter(|value| !value.is_empty())
}

/// Drops a `Namespace`/`Partition` member that is empty, `default`, or equal to `inherited`
/// (what Consul Enterprise fills in when it is absent).
fn remove_default(map: &mut Map<String, Value>, folded: &str, inherited: Option<&str>) {
    map.retain(|key, value| {
        let Some(text) = value.as_str().filter(|_| folds_to(key, folded)) else {
            return true;
        };
        !(text.is_empty() || text.eq_ignore_ascii_case("default") || Some(text) == inherited)
    });
}

/// `Services[].Namespace` is `""` in CE whatever was sent, and `default` in ENT when absent.
fn exported_services(map: &mut Map<String, Value>) {
    if let Some(Value::Array(services)) = field_mut(map, "services") {
        for service in services.iter_mut().filter_map(Value::as_object_mut) {
            remove_default(service, "namespace", None);
            if let Some(Value::Array(consumers)) = field_mut(service, "consumers") {
                consumers.sort_by(|a, b| identity_order(a, b, &CONSUMER_IDENTITY));
            }
        }
        services.sort_by(|a, b| identity_order(a, b, &SERVICE_IDENTITY));
    }
}

/// What Consul does to an intentions entry on write: per-source defaults and clean-up, then the
/// stable sort by precedence (computed before namespaces are dropped, as Consul does it).
fn service_intentions(map: &mut Map<String, Value>) {
    let destination = Names::of(map, None);
    let Some(Value::Array(sources)) = field_mut(map, "sources") else {
        return;
    };
    let mut ranked: Vec<(i64, Value)> = std::mem::take(sources)
        .into_iter()
        .map(|mut source| {
            let precedence = match &mut source {
                Value::Object(source) => intention_source(source, &destination),
                _ => precedence(&destination, &Names::default()),
            };
            (precedence, source)
        })
        .collect();
    ranked.sort_by(|(precedence_a, a), (precedence_b, b)| {
        precedence_b
            .cmp(precedence_a)
            .then_with(|| identity_order(a, b, &SOURCE_IDENTITY))
    });
    *sources = ranked.into_iter().map(|(_, source)| source).collect();
}

/// Normalises one source and returns its precedence.
fn intention_source(source: &mut Map<String, Value>, destination: &Names) -> i64 {
    let local =
        string_field(source, "peer").is_none() && string_field(source, "samenessgroup").is_none();
    let names = Names::of(source, local.then_some(destination));
    let precedence = precedence(destination, &names);
    remove_fields(source, &SOURCE_SERVER_FIELDS);
    source.retain(|key, value| !(folds_to(key, "type") && value.as_str() == Some("consul")));
    let inherit = |own: &Option<String>| own.clone().filter(|value| local && value != WILDCARD);
    remove_default(
        source,
        "namespace",
        inherit(&destination.namespace).as_deref(),
    );
    remove_default(
        source,
        "partition",
        inherit(&destination.partition).as_deref(),
    );
    uppercase_methods(source);
    precedence
}

/// A service name with the namespace and partition it is in.
#[derive(Default)]
struct Names {
    name: String,
    namespace: Option<String>,
    partition: Option<String>,
}

impl Names {
    /// The names of an entry or source; a source without its own namespace or partition takes
    /// the destination's (`inherit`), except a wildcard: Consul Enterprise merges them with
    /// `MergeNoWildcard`.
    fn of(map: &Map<String, Value>, inherit: Option<&Names>) -> Self {
        let own = |folded: &str| string_field(map, folded).map(str::to_owned);
        let inherited = |pick: fn(&Names) -> &Option<String>| {
            inherit
                .and_then(|destination| pick(destination).clone())
                .filter(|value| value != WILDCARD)
        };
        Self {
            name: own("name").unwrap_or_default(),
            namespace: own("namespace").or_else(|| inherited(|names| &names.namespace)),
            partition: own("partition").or_else(|| inherited(|names| &names.partition)),
        }
    }

    /// Consul's `intentionCountExact`: 2 for `ns/name`, 1 for `ns/*`, 0 for `*/*`.
    fn exact_count(&self) -> i64 {
        if self.namespace.as_deref() == Some(WILDCARD) {
            0
        } else if self.name == WILDCARD {
            1
        } else {
            2
        }
    }
}

/// Consul's `computeIntentionPrecedence`. In CE: exact→exact 9, `*`→exact 8, exact→`*` 6,
/// `*`→`*` 5; a wildcard namespace (ENT) lowers it further.
fn precedence(destination: &Names, source: &Names) -> i64 {
    let max = match destination.exact_count() {
        2 => 9,
        1 => 6,
        _ => 3,
    };
    max - (2 - source.exact_count())
}

/// What Consul fills in or computes for kinds meshplan does not model, so that an entry written
/// without it does not show as changed when read back.
fn server_defaults(kind: &str, map: &mut Map<String, Value>) {
    match kind {
        // The API-gateway controller writes its own `Status` (conditions with timestamps).
        "api-gateway"
        | "bound-api-gateway"
        | "http-route"
        | "tcp-route"
        | "inline-certificate"
        | "file-system-certificate" => remove_fields(map, &["status"]),
        _ => {}
    }
    match kind {
        "jwt-provider" if field(map, "clockskewseconds").is_none() => {
            map.insert("ClockSkewSeconds".to_owned(), Value::from(30));
        }
        "http-route" | "tcp-route" => {
            let Some(Value::Array(parents)) = field_mut(map, "parents") else {
                return;
            };
            for parent in parents.iter_mut().filter_map(Value::as_object_mut) {
                if field(parent, "kind").is_none() {
                    parent.insert("Kind".to_owned(), Value::from("api-gateway"));
                }
            }
        }
        _ => {}
    }
}

/// `Permissions[].HTTP.Methods` are stored uppercase.
fn uppercase_methods(source: &mut Map<String, Value>) {
    let Some(Value::Array(permissions)) = field_mut(source, "permissions") else {
        return;
    };
    let methods = permissions
        .iter_mut()
        .filter_map(Value::as_object_mut)
        .filter_map(|permission| field_mut(permission, "http"))
        .filter_map(Value::as_object_mut)
        .filter_map(|http| field_mut(http, "methods"));
    for list in methods {
        match list {
            Value::Array(items) => items.iter_mut().for_each(uppercase),
            single => uppercase(single),
        }
    }
}

fn uppercase(value: &mut Value) {
    if let Value::String(text) = value {
        *text = text.to_uppercase();
    }
}

/// The generic clean-up of every kind: drop empty members, normalise numbers and durations,
/// sort keys. `key` is the (folded) key `value` sits under.
fn clean(value: &mut Value, key: Option<&str>) {
    match value {
        Value::Object(map) => {
            for (child_key, child) in map.iter_mut() {
                clean(child, Some(child_key));
            }
            map.retain(|_, child| !is_empty(child));
        }
        // HTTP methods are stored uppercase wherever they appear (intentions, service-router
        // matches, routes).
        Value::Array(items) if key.is_some_and(|key| folds_to(key, "methods")) => {
            items.iter_mut().for_each(uppercase);
        }
        Value::Array(items) => items.iter_mut().for_each(|item| clean(item, None)),
        Value::Number(number) => {
            if let Some(integral) = integral(number) {
                *number = integral;
            }
        }
        Value::String(text) => {
            let is_duration = key.is_some_and(|key| {
                DURATION_SUFFIXES
                    .iter()
                    .any(|suffix| folded_ends_with(key, suffix))
            });
            if let Some(go) = is_duration.then(|| go_duration(text)).flatten() {
                *text = go;
            }
        }
        Value::Null | Value::Bool(_) => {}
    }
}

/// Whether an object member is one Consul would omit (or could not tell from absent).
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) => true,
        Value::String(text) => text.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        Value::Number(number) => number.as_f64() == Some(0.0),
        Value::Bool(true) => false,
    }
}

/// `number` as an integer when it is a float with an integral value.
fn integral(number: &Number) -> Option<Number> {
    let float = number.as_f64().filter(|_| number.is_f64())?;
    let fits = float.fract() == 0.0 && float.abs() < 9.0e15;
    #[allow(clippy::cast_possible_truncation)] // checked above: integral and in range
    fits.then(|| Number::from(float as i64))
}

/// Sorts the keys of every object in `value` the way plans show them (see [`key_order`]).
pub fn display_order(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.values_mut().for_each(display_order);
            sort_keys(map);
        }
        Value::Array(items) => items.iter_mut().for_each(display_order),
        _ => {}
    }
}

fn sort_keys(map: &mut Map<String, Value>) {
    let mut members: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
    members.sort_by(|(a, _), (b, _)| key_order(a, b));
    *map = members.into_iter().collect();
}

/// `Kind`, then `Name`, then by folded key (ties by the key itself).
fn key_order(a: &str, b: &str) -> Ordering {
    let rank = |key: &str| {
        if folds_to(key, "kind") {
            0
        } else if folds_to(key, "name") {
            1
        } else {
            2
        }
    };
    rank(a)
        .cmp(&rank(b))
        .then_with(|| folded(a).cmp(folded(b)))
        .then_with(|| a.cmp(b))
}

/// A Go duration string (`90s`, `1.5h`, `300ms`) in Go's own `Duration.String()` spelling
/// (`1m30s`, `1h30m0s`, `300ms`), as Consul returns it; `None` if `text` is no duration. A zero
/// duration becomes `""` (and so is dropped): Consul omits zero durations.
fn go_duration(text: &str) -> Option<String> {
    match parse_go_duration(text)? {
        0 => Some(String::new()),
        nanos => Some(format_go_duration(nanos)),
    }
}

/// Nanoseconds of a Go duration: an optional sign, then number+unit pairs.
pub(crate) fn parse_go_duration(text: &str) -> Option<i128> {
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Some(0);
    }
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit() && c != '.')?;
        let (number, tail) = rest.split_at(digits);
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        total += scaled(number, unit_nanos(unit)?)?;
        rest = tail;
    }
    Some(if negative { -total } else { total })
}

fn unit_nanos(unit: &str) -> Option<i128> {
    Some(match unit {
        "ns" => 1,
        "us" | "µs" | "μs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return None,
    })
}

/// `number` (`12`, `1.5`, `.5`) times `unit` nanoseconds, truncated like Go.
fn scaled(number: &str, unit: i128) -> Option<i128> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() || number.matches('.').count() > 1 {
        return None;
    }
    let whole: i128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let digits = fraction.get(..fraction.len().min(18)).unwrap_or_default();
    let scale = 10_i128.pow(u32::try_from(digits.len()).ok()?);
    let part: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    Some(whole.checked_mul(unit)? + part * unit / scale)
}

/// Go's `time.Duration.String()`.
pub(crate) fn format_go_duration(nanos: i128) -> String {
    let sign = if nanos < 0 { "-" } else { "" };
    let n = nanos.unsigned_abs();
    if n == 0 {
        return "0s".to_owned();
    }
    if n < 1_000_000_000 {
        let (unit, scale) = match n {
            0..1_000 => ("ns", 1),
            1_000..1_000_000 => ("µs", 1_000),
            _ => ("ms", 1_000_000),
        };
        return format!("{sign}{}{unit}", decimal(n, scale));
    }
    let (hours, rest) = (n / 3_600_000_000_000, n % 3_600_000_000_000);
    let (minutes, rest) = (rest / 60_000_000_000, rest % 60_000_000_000);
    let seconds = decimal(rest, 1_000_000_000);
    match (hours, minutes) {
        (0, 0) => format!("{sign}{seconds}s"),
        (0, _) => format!("{sign}{minutes}m{seconds}s"),
        _ => format!("{sign}{hours}h{minutes}m{seconds}s"),
    }
}

/// `value / scale` in decimal, without trailing zeros in the fraction.
fn decimal(value: u128, scale: u128) -> String {
    let (whole, fraction) = (value / scale, value % scale);
    if fraction == 0 {
        return whole.to_string();
    }
    let width = scale.to_string().len() - 1;
    let fraction = format!("{fraction:0width$}");
    format!("{whole}.{}", fraction.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    #[test]
    fn ascii_keys_fold_as_any_key_does() {
        let keys = [
            "Meta",
            "meta",
            "META",
            "Me_ta",
            "_meta_",
            "Metá",
            "MetaX",
            "Met",
            "",
            "_",
            "ConnectTimeout",
            "connect_timeout",
            "Κind",
            "İd",
            "Sources",
        ];
        let folded_keys = ["meta", "timeout", "kind", "id", "sources", "", "métá", "i̇d"];
        for key in keys {
            assert_eq!(fold_key(key), folded(key).collect::<String>(), "{key}");
            for wanted in folded_keys {
                assert_eq!(
                    folds_to(key, wanted),
                    folded(key).eq(wanted.chars()),
                    "{key} {wanted}"
                );
                let ends = {
                    let mut reversed = folded(key).rev();
                    wanted.chars().rev().all(|c| reversed.next() == Some(c))
                };
                assert_eq!(folded_ends_with(key, wanted), ends, "{key} {wanted}");
            }
            for other in keys {
                let alike = folded(key).eq(folded(other));
                assert_eq!(fold_alike(key, other), alike, "{key} {other}");
            }
        }
    }

    #[test]
    fn server_defaults_of_other_kinds_are_no_change() {
        let written = json!({"Kind": "jwt-provider", "Name": "okta", "Issuer": "https://x"});
        let read = json!({"Kind": "jwt-provider", "Name": "okta", "Issuer": "https://x", "ClockSkewSeconds": 30});
        assert_eq!(
            canonical("jwt-provider", &written),
            canonical("jwt-provider", &read)
        );

        let written = json!({"Kind": "http-route", "Name": "r", "Parents": [{"Name": "gw"}]});
        let read = json!({"Kind": "http-route", "Name": "r", "Parents": [{"Kind": "api-gateway", "Name": "gw"}],
                          "Status": {"Conditions": [{"Type": "Accepted", "LastTransitionTime": "2026-11-27T16:00:00Z"}]}});
        assert_eq!(
            canonical("http-route", &written),
            canonical("http-route", &read)
        );
    }

    #[test]
    fn a_single_block_read_back_as_a_one_element_list_is_no_change() {
        let written = normalized(
            "service-router",
            json!({"Kind": "service-router", "Name": "web",
                   "Routes": {"Destination": {"Service": "admin"}}}),
        );
        let read = normalized(
            "service-router",
            json!({"Kind": "service-router", "Name": "web",
                   "Routes": [{"Destination": {"Service": "admin"}}]}),
        );
        assert!(
            super::same(&written, &read),
            "Routes is a list in Consul's struct"
        );
    }

    #[test]
    fn router_methods_are_compared_uppercase() {
        let written = json!({"Kind": "service-router", "Name": "web",
                             "Routes": [{"Match": {"HTTP": {"Methods": ["get"]}}}]});
        let read = json!({"Kind": "service-router", "Name": "web",
                          "Routes": [{"Match": {"HTTP": {"Methods": ["GET"]}}}]});
        assert_eq!(
            canonical("service-router", &written),
            canonical("service-router", &read)
        );
    }

    /// What meshplan PUTs for the seed scenario's intentions, deliberately in the "wrong" order.
    fn written_intentions() -> Value {
        json!({
            "Kind": "service-intentions",
            "Name": "frontend-service",
            "Sources": [
                { "Name": "*", "Action": "deny" },
                { "Name": "backend-service", "Peer": "cluster-02", "Action": "allow" },
                { "Name": "admin", "Permissions": [
                    { "Action": "allow", "HTTP": { "PathPrefix": "/admin", "Methods": ["get", "Post"] } }
                ] }
            ],
            "Meta": { "managed-by": "meshplan" }
        })
    }

    /// What Consul 1.22 returns for it: sorted, with Precedence, Type, Hash and indexes.
    fn read_intentions() -> Value {
        json!({
            "Kind": "service-intentions",
            "Name": "frontend-service",
            "Sources": [
                { "Name": "backend-service", "Action": "allow", "Precedence": 9, "Type": "consul",
                  "Peer": "cluster-02" },
                { "Name": "admin", "Permissions": [
                    { "Action": "allow", "HTTP": { "PathPrefix": "/admin", "Methods": ["GET", "POST"] } }
                  ], "Precedence": 9, "Type": "consul" },
                { "Name": "*", "Action": "deny", "Precedence": 8, "Type": "consul" }
            ],
            "Meta": { "managed-by": "meshplan" },
            "Hash": 17_293_822_569_102_704_642_u64,
            "CreateIndex": 20,
            "ModifyIndex": 31
        })
    }

    fn same(kind: &str, a: &Value, b: &Value) -> bool {
        comparable(&canonical(kind, a)) == comparable(&canonical(kind, b))
    }

    #[test]
    fn intentions_read_back_from_consul_equal_what_was_written() {
        let written = canonical(SERVICE_INTENTIONS, &written_intentions());
        let read = canonical(SERVICE_INTENTIONS, &read_intentions());
        assert_eq!(written, read);
        let names: Vec<&str> = read["Sources"]
            .as_array()
            .expect("sources")
            .iter()
            .map(|source| source["Name"].as_str().expect("name"))
            .collect();
        assert_eq!(
            names,
            ["admin", "backend-service", "*"],
            "by precedence, then by identity"
        );
        assert_eq!(
            read["Sources"][0]["Permissions"][0]["HTTP"]["Methods"],
            json!(["GET", "POST"])
        );
        assert_eq!(read.get("Hash"), None);
        assert_eq!(read["Sources"][0].get("Precedence"), None);
        assert_eq!(read["Sources"][0].get("Type"), None);
    }

    #[test]
    fn precedence_follows_consul_for_exact_and_wildcard_names() {
        let names = |name: &str, namespace: Option<&str>| Names {
            name: name.to_owned(),
            namespace: namespace.map(str::to_owned),
            partition: None,
        };
        let exact = names("web", None);
        let any = names("*", None);
        let all_namespaces = names("*", Some("*"));
        assert_eq!(precedence(&exact, &exact), 9);
        assert_eq!(precedence(&exact, &any), 8);
        assert_eq!(precedence(&exact, &all_namespaces), 7);
        assert_eq!(precedence(&any, &exact), 6);
        assert_eq!(precedence(&any, &any), 5);
        assert_eq!(precedence(&all_namespaces, &all_namespaces), 1);
    }

    #[test]
    fn a_wildcard_destination_sorts_its_sources_too() {
        let entry = json!({ "Kind": "service-intentions", "Name": "*", "Sources": [
            { "Name": "*", "Action": "deny" }, { "Name": "web", "Action": "allow" }
        ] });
        let sorted = canonical(SERVICE_INTENTIONS, &entry);
        assert_eq!(sorted["Sources"][0]["Name"], "web");
    }

    #[test]
    fn a_type_other_than_consul_is_kept_so_it_shows_up() {
        let entry = json!({ "Kind": "service-intentions", "Name": "web",
            "Sources": [{ "Name": "a", "Action": "allow", "Type": "other" }] });
        assert_eq!(
            canonical(SERVICE_INTENTIONS, &entry)["Sources"][0]["Type"],
            "other"
        );
    }

    #[test]
    fn enterprise_defaults_are_dropped_on_entry_services_and_sources() {
        let ent = json!({
            "Kind": "service-intentions", "Name": "web", "Partition": "default",
            "Namespace": "payments",
            "Sources": [
                { "Name": "api", "Action": "allow", "Namespace": "payments", "Partition": "default" },
                { "Name": "db", "Action": "allow", "Peer": "p", "Namespace": "default" },
                { "Name": "ops", "Action": "allow", "Namespace": "ops" }
            ]
        });
        let ce = json!({
            "Kind": "service-intentions", "Name": "web", "Namespace": "payments",
            "Sources": [
                { "Name": "api", "Action": "allow" },
                { "Name": "db", "Action": "allow", "Peer": "p" },
                { "Name": "ops", "Action": "allow", "Namespace": "ops" }
            ]
        });
        assert_eq!(
            canonical(SERVICE_INTENTIONS, &ent),
            canonical(SERVICE_INTENTIONS, &ce)
        );
        let exports = json!({ "Kind": "exported-services", "Name": "default",
            "Partition": "default",
            "Services": [{ "Name": "web", "Namespace": "default", "Consumers": [{ "Peer": "p" }] }] });
        let ce_exports = json!({ "Kind": "exported-services", "Name": "default",
            "Services": [{ "Name": "web", "Consumers": [{ "Peer": "p" }] }] });
        assert!(same(EXPORTED_SERVICES, &exports, &ce_exports));
    }

    #[test]
    fn consumer_partitions_are_real_targets_and_kept() {
        let exports = json!({ "Kind": "exported-services", "Name": "default",
            "Services": [{ "Name": "web", "Consumers": [{ "Partition": "default" }] }] });
        assert_eq!(
            canonical(EXPORTED_SERVICES, &exports)["Services"][0]["Consumers"][0]["Partition"],
            "default"
        );
    }

    #[test]
    fn service_defaults_empty_structs_and_zero_values_are_not_drift() {
        let written = json!({ "kind": "service-defaults", "name": "web", "protocol": "http",
            "mesh_gateway": { "mode": "" }, "transparent_proxy": { "dialed_directly": false } });
        let read = json!({ "Kind": "service-defaults", "Name": "web", "Protocol": "http",
            "Mode": "", "TransparentProxy": {}, "MeshGateway": {}, "Expose": {},
            "MaxInboundConnections": 0, "Meta": null, "CreateIndex": 5, "ModifyIndex": 5 });
        assert!(same("service-defaults", &written, &read));
        let changed = json!({ "Kind": "service-defaults", "Name": "web", "Protocol": "grpc" });
        assert!(!same("service-defaults", &written, &changed));
    }

    #[test]
    fn user_data_maps_keep_their_keys_case_sensitive() {
        let a = json!({ "Kind": "proxy-defaults", "Name": "global",
            "Config": { "protocol": "http" }, "Meta": { "Team": "a" } });
        let b = json!({ "Kind": "proxy-defaults", "Name": "global",
            "Config": { "Protocol": "http" }, "Meta": { "Team": "a" } });
        assert!(!same("proxy-defaults", &a, &b));
        let c = json!({ "kind": "proxy-defaults", "name": "global",
            "config": { "protocol": "http" }, "meta": { "Team": "a" } });
        assert!(same("proxy-defaults", &a, &c));
    }

    #[test]
    fn durations_compare_as_go_prints_them() {
        let written = json!({ "Kind": "service-resolver", "Name": "web",
            "ConnectTimeout": "90s", "RequestTimeout": "0s", "Subsets": { "v1": { "Filter": "1s" } } });
        let read = json!({ "Kind": "service-resolver", "Name": "web",
            "ConnectTimeout": "1m30s", "Subsets": { "v1": { "Filter": "1s" } } });
        assert!(same("service-resolver", &written, &read));
        assert_eq!(go_duration("1.5h").as_deref(), Some("1h30m0s"));
        assert_eq!(go_duration("1500ms").as_deref(), Some("1.5s"));
        assert_eq!(go_duration("250us").as_deref(), Some("250µs"));
        assert_eq!(go_duration("1h").as_deref(), Some("1h0m0s"));
        assert_eq!(go_duration("-2m").as_deref(), Some("-2m0s"));
        assert_eq!(go_duration("15"), None, "Go requires a unit");
        assert_eq!(go_duration("2020-01-01T00:00:00Z"), None);
        assert_eq!(go_duration("fast"), None);
    }

    #[test]
    fn numbers_compare_by_value() {
        let a = json!({ "Kind": "service-defaults", "Name": "web", "MaxInboundConnections": 10 });
        let b = json!({ "Kind": "service-defaults", "Name": "web", "MaxInboundConnections": 10.0 });
        assert_eq!(
            canonical("service-defaults", &a),
            canonical("service-defaults", &b)
        );
    }

    #[test]
    fn keys_are_sorted_kind_and_name_first() {
        let value = canonical(
            "mesh",
            &json!({ "TLS": { "b": 1 }, "Name": "mesh", "Kind": "mesh", "AllowEnablingPermissiveMutualTLS": true }),
        );
        let keys: Vec<&String> = value.as_object().expect("object").keys().collect();
        assert_eq!(
            keys,
            ["Kind", "Name", "AllowEnablingPermissiveMutualTLS", "TLS"]
        );
    }

    #[test]
    fn align_keys_takes_the_other_sides_spelling_except_in_user_data() {
        let mut written = json!({ "kind": "proxy-defaults", "config": { "protocol": "http" },
            "mesh_gateway": { "mode": "local" } });
        let read = json!({ "Kind": "proxy-defaults", "Config": { "Protocol": "http" },
            "MeshGateway": { "Mode": "remote" } });
        align_keys(&mut written, &read);
        assert_eq!(
            written,
            json!({ "Kind": "proxy-defaults", "Config": { "protocol": "http" },
                "MeshGateway": { "Mode": "local" } })
        );
    }

    /// Any JSON, with keys drawn from the ones `canonical` treats specially.
    fn json_value() -> impl Strategy<Value = Value> {
        let key = prop::sample::select(vec![
            "Kind",
            "Name",
            "Sources",
            "Namespace",
            "Partition",
            "Peer",
            "Type",
            "Precedence",
            "Permissions",
            "HTTP",
            "Methods",
            "Meta",
            "Hash",
            "ConnectTimeout",
            "Services",
            "x",
            "mode",
            "protocol",
        ]);
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-3i64..3).prop_map(Value::from),
            prop_oneof![Just(0.0), Just(2.0), Just(2.5)].prop_map(Value::from),
            prop::sample::select(vec![
                "", "*", "default", "consul", "get", "web", "90s", "0s"
            ])
            .prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec((key.clone(), inner), 0..5).prop_map(|members| {
                    Value::Object(
                        members
                            .into_iter()
                            .map(|(k, v)| (k.to_owned(), v))
                            .collect(),
                    )
                }),
            ]
        })
    }

    proptest! {
        #[test]
        fn canonical_is_idempotent(
            kind in prop::sample::select(vec![SERVICE_INTENTIONS, EXPORTED_SERVICES, "service-defaults"]),
            value in json_value(),
        ) {
            let once = canonical(kind, &value);
            prop_assert_eq!(canonical(kind, &once), once.clone());
            prop_assert_eq!(comparable(&once), comparable(&comparable(&once)));
        }
    }
}
