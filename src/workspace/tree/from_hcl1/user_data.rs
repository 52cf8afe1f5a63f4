//! User data (`Config`, `Arguments`: the `map[string]interface{}` fields of Consul's structs)
//! in the shape HCL1 gives it, which is what Consul stores.
//!
//! HCL1 decodes into `interface{}` with every object that is a map member as a list of one
//! object (the ambiguity repeated blocks force on it), and Consul's decode hook then unwraps a
//! member that is a list of one, and every list of one below it (`lib/decode`,
//! `HookWeakDecodeFromSlice`). So `Config { a = { c = [1] } }` written with
//! `consul config write` is stored as `{"a": {"c": 1}}`, and an object in a list of two
//! (`objs = [{ p = { q = 1 } }, { r = 2 }]`) keeps `p` as a list of one. Where the kind's table
//! (`model::schema`) says a field is user data, objects that are map members become lists of one
//! here, so that meshplan sends what HCL1 would have made and Consul stores the same. Typed
//! fields keep their objects: there Consul's decoder unwraps lists of one anyway.

use super::super::{Field, Node, Value};
use crate::model::schema::{self, Ty};

/// Rewrites user data in `root`, an entry file, into HCL1's shape. A file without a `Kind` the
/// table knows is left as it is.
pub(super) fn as_hcl1_reads_it(root: &mut Node) {
    let Value::Object(fields) = &mut root.value else {
        return;
    };
    let kind = fields
        .iter()
        .find(|field| field.key.eq_ignore_ascii_case("Kind"))
        .and_then(|field| match &field.value.value {
            Value::String(kind) => Some(kind.clone()),
            _ => None,
        });
    if let Some(table) = kind.as_deref().and_then(schema::fields_of) {
        walk_struct(table, fields);
    }
}

fn walk_struct(table: &'static [schema::Field], fields: &mut [Field]) {
    for field in fields {
        if let Some(typed) = schema::lookup(table, &field.key) {
            walk(typed.ty, &mut field.value);
        }
    }
}

fn walk(ty: Ty, node: &mut Node) {
    match (ty, &mut node.value) {
        (Ty::Struct(table), Value::Object(fields)) => walk_struct(table, fields),
        (Ty::List(item), Value::Array(items)) => {
            items.iter_mut().for_each(|node| walk(*item, node));
        }
        // A single block where a list is expected; a list of one where one value is.
        (Ty::List(item), Value::Object(_)) => walk(*item, node),
        (Ty::Struct(_) | Ty::Opaque, Value::Array(items)) => {
            items.iter_mut().for_each(|node| walk(ty, node));
        }
        (Ty::Map(item), Value::Object(fields)) => {
            fields
                .iter_mut()
                .for_each(|field| walk(*item, &mut field.value));
        }
        (Ty::Opaque, Value::Object(fields)) => {
            fields
                .iter_mut()
                .for_each(|field| members(&mut field.value));
        }
        _ => {}
    }
}

/// A member of a user-data map and everything in it: objects become lists of one object.
fn members(node: &mut Node) {
    match &mut node.value {
        Value::Object(fields) => {
            fields
                .iter_mut()
                .for_each(|field| members(&mut field.value));
            let object = std::mem::replace(&mut node.value, Value::Null);
            node.value = Value::Array(vec![Node::new(node.span.clone(), object)]);
        }
        Value::Array(items) => items.iter_mut().for_each(item),
        _ => {}
    }
}

/// A list item: an object stays an object (HCL1 lists hold maps), its members are read as
/// members are.
fn item(node: &mut Node) {
    match &mut node.value {
        Value::Object(fields) => fields
            .iter_mut()
            .for_each(|field| members(&mut field.value)),
        _ => members(node),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn objects_in_user_data_are_lists_of_one_and_typed_fields_keep_theirs() {
        let text = r#"
Kind = "proxy-defaults"
Name = "global"
MeshGateway { Mode = "local" }
Config {
  a = { c = [1] }
  objs = [{ p = { q = 1 } }, { r = 2 }]
  s = "x"
}
EnvoyExtensions {
  Name = "builtin/lua"
  Arguments {
    Inner { Leaf = 1 }
  }
}
"#;
        let root = super::super::parse(text).expect("parses");
        assert_eq!(
            root.to_json(),
            json!({"Kind": "proxy-defaults", "Name": "global", "MeshGateway": {"Mode": "local"},
                "Config": {"a": [{"c": [1]}], "objs": [{"p": [{"q": 1}]}, {"r": 2}], "s": "x"},
                "EnvoyExtensions": {"Name": "builtin/lua", "Arguments": {"Inner": [{"Leaf": 1}]}}})
        );
    }
}
