//! What Consul stores for an entry of a kind meshplan does not model, as far as the table can
//! tell: the values of [`super::check`]'s weak typing, converted the way Consul's decoder
//! converts them, so that a file and the entry Consul made of it compare equal.
//!
//! Consul decodes a config entry (`structs.DecodeConfigEntry`, and `consul config write` before
//! it) with mapstructure, `WeaklyTypedInput` and `lib/decode.HookWeakDecodeFromSlice`:
//! - a one-element list where the field is not a list is its element (`"TransparentProxy":
//!   [{…}]` is the object), and a single value where a list is expected is a one-element list;
//! - strings become numbers and bools where the field is one (`ChoiceCount = "2"` is `2`,
//!   `"true"` is `true`), numbers and bools become strings (`1`/`0` for bools), numbers and
//!   bools convert into each other;
//! - a list of maps where a map is expected is merged into one map;
//! - inside user data (`Config`, `Arguments`: `map[string]interface{}`), a value that is a
//!   one-element list is its element, and inside that element every map member that is a
//!   one-element list is its element too, at any depth (the hook's `unSlice`); a value that
//!   is not a one-element list is kept as it is, lists of one inside it included. (An HCL
//!   file's objects there are lists of one, as HCL1 reads them: see `from_hcl1/user_data.rs`.)
//!
//! A value that does not convert is left alone: [`super::check`] refuses it before any write.

use serde_json::{Map, Number, Value};

use super::check::{parse_go_bool, parse_go_integer};
use super::{Field, Ty, fields_of, lookup};
use crate::model::normalize::{format_go_duration, parse_go_duration};

/// Converts the members of `entry`, an entry of `kind`, to what Consul's decoder would store.
/// A kind without a table is left as it is.
pub fn weak_decode(kind: &str, entry: &mut Map<String, Value>) {
    if let Some(fields) = fields_of(kind) {
        decode_object(fields, entry);
    }
}

fn decode_object(fields: &'static [Field], object: &mut Map<String, Value>) {
    for (key, value) in object.iter_mut() {
        if let Some(field) = lookup(fields, key) {
            decode(field.ty, value);
        }
    }
}

fn decode(ty: Ty, value: &mut Value) {
    if let Value::Array(items) = value
        && items.len() == 1
        && !matches!(ty, Ty::List(_))
    {
        *value = items.pop().unwrap_or(Value::Null);
    }
    match (ty, value) {
        (_, Value::Null) => {}
        (Ty::Opaque, Value::Object(map)) => map.values_mut().for_each(user_data),
        (Ty::Opaque, _) => {}
        (Ty::List(item), Value::Array(items)) => items.iter_mut().for_each(|v| decode(*item, v)),
        (Ty::List(item), single) => {
            let mut only = single.take();
            decode(*item, &mut only);
            *single = Value::Array(vec![only]);
        }
        (Ty::Map(item), value) => decode_map(*item, value),
        (Ty::Struct(fields), Value::Object(object)) => decode_object(fields, object),
        (Ty::Struct(_), _) => {}
        (scalar, value) => {
            if let Some(converted) = scalar_value(scalar, value) {
                *value = converted;
            }
        }
    }
}

/// A map's values; a list of maps is merged into one first (later maps win, as mapstructure
/// merges them).
fn decode_map(item: Ty, value: &mut Value) {
    if let Value::Array(items) = value
        && items.iter().all(Value::is_object)
    {
        let merged: Map<String, Value> = items
            .drain(..)
            .filter_map(|map| match map {
                Value::Object(map) => Some(map),
                _ => None,
            })
            .flatten()
            .collect();
        *value = Value::Object(merged);
    }
    if let Value::Object(map) = value {
        map.values_mut().for_each(|value| decode(item, value));
    }
}

/// A value of a user-data map: a one-element list is its element, with every one-element list
/// that is a map member inside it unwrapped too.
fn user_data(value: &mut Value) {
    if let Value::Array(items) = value
        && items.len() == 1
    {
        *value = items.pop().unwrap_or(Value::Null);
        un_slice(value);
    }
}

/// The hook's `unSlice`: every map member, at any depth, that is a one-element list becomes its
/// element. Lists that are not map members stay lists (their maps are still walked).
fn un_slice(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for member in map.values_mut() {
                if let Value::Array(items) = member
                    && items.len() == 1
                {
                    *member = items.pop().unwrap_or(Value::Null);
                }
                un_slice(member);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(un_slice),
        _ => {}
    }
}

/// The value a scalar field of type `ty` holds for `value` under weak typing, if it converts.
fn scalar_value(ty: Ty, value: &Value) -> Option<Value> {
    Some(match (ty, value) {
        (Ty::Str, Value::Bool(flag)) => Value::from(if *flag { "1" } else { "0" }),
        (Ty::Str, Value::Number(number)) => Value::from(number_text(number)),
        (Ty::Bool, Value::String(text)) if text.is_empty() => Value::Bool(false),
        (Ty::Bool, Value::String(text)) => Value::Bool(parse_go_bool(text)?),
        (Ty::Bool, Value::Number(number)) => Value::Bool(number.as_f64()? != 0.0),
        (Ty::Int, Value::String(text)) if text.is_empty() => Value::from(0),
        (Ty::Int, Value::String(text)) => Value::from(parse_go_integer(text)?),
        (Ty::Int | Ty::Float | Ty::Duration, Value::Bool(flag)) => Value::from(i64::from(*flag)),
        (Ty::Int, Value::Number(number)) if number.is_f64() => {
            Value::from(truncated(number.as_f64()?))
        }
        (Ty::Float, Value::String(text)) if text.is_empty() => Value::from(0),
        (Ty::Float, Value::String(text)) => Value::Number(Number::from_f64(text.parse().ok()?)?),
        (Ty::Duration, Value::Number(number)) => {
            let nanos = number.as_i64().or_else(|| number.as_f64().map(truncated))?;
            Value::from(format_go_duration(i128::from(nanos)))
        }
        (Ty::Duration, Value::String(text)) => {
            Value::from(format_go_duration(parse_go_duration(text)?))
        }
        _ => return None,
    })
}

/// A float converted to an integer as Go converts it: the fraction dropped.
#[allow(clippy::cast_possible_truncation)] // that is the conversion
fn truncated(float: f64) -> i64 {
    float as i64
}

/// A number as Go's weak decoding prints it into a string: integers without a fraction,
/// floats in the shortest form that reads back (`strconv.FormatFloat(f, 'f', -1, 64)`).
fn number_text(number: &Number) -> String {
    match number.as_f64() {
        Some(float) if number.is_f64() => float.to_string(),
        _ => number.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn decoded(kind: &str, mut entry: Value) -> Value {
        weak_decode(kind, entry.as_object_mut().unwrap());
        entry
    }

    #[test]
    fn strings_become_the_numbers_and_bools_the_fields_are() {
        let entry = json!({"Kind": "service-resolver", "Name": "web",
            "LoadBalancer": {"RingHashConfig": {"MinimumRingSize": "1024"},
                "HashPolicies": {"Field": "header", "FieldValue": "x", "Terminal": "true"},
                "LeastRequestConfig": {"ChoiceCount": "0x2"}},
            "RequestTimeout": 5_000_000_000_u64});
        assert_eq!(
            decoded("service-resolver", entry),
            json!({"Kind": "service-resolver", "Name": "web",
                "LoadBalancer": {"RingHashConfig": {"MinimumRingSize": 1024},
                    "HashPolicies": [{"Field": "header", "FieldValue": "x", "Terminal": true}],
                    "LeastRequestConfig": {"ChoiceCount": 2}},
                "RequestTimeout": "5s"})
        );
    }

    #[test]
    fn a_list_of_one_where_an_object_is_expected_is_the_object() {
        let entry = json!({"Kind": "mesh", "TransparentProxy": [{"MeshDestinationsOnly": "1"}],
            "Meta": {"n": 1, "b": true, "f": 1.5}});
        assert_eq!(
            decoded("mesh", entry),
            json!({"Kind": "mesh", "TransparentProxy": {"MeshDestinationsOnly": true},
                "Meta": {"n": "1", "b": "1", "f": "1.5"}})
        );
    }

    #[test]
    fn user_data_lists_of_one_are_unwrapped_as_the_hook_does() {
        let entry = json!({"Kind": "proxy-defaults", "Name": "global", "Config": {
            "a": {"c": [1]}, "b": [{"c": [1], "d": {"e": [2]}}], "f": [[1]],
            "g": [[{"x": [1]}]], "h": [], "i": [{"j": [{"k": [1]}]}], "two": [1, 2]}});
        assert_eq!(
            decoded("proxy-defaults", entry)["Config"],
            json!({"a": {"c": [1]}, "b": {"c": 1, "d": {"e": 2}}, "f": [1],
                "g": [{"x": 1}], "h": [], "i": {"j": {"k": 1}}, "two": [1, 2]})
        );
    }

    #[test]
    fn values_that_do_not_convert_are_left_for_the_check() {
        let entry = json!({"Kind": "service-router", "Name": "web", "Routes": [
            {"Destination": {"NumRetries": "three", "RetryOnConnectFailure": "maybe"}}]});
        assert_eq!(decoded("service-router", entry.clone()), entry);
    }
}
