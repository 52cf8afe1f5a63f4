//! Typed values deserialized straight from a [`Node`], borrowing it: no copy of the tree and no
//! intermediate [`serde_json::Value`].
//!
//! The errors are serde_json's, and every choice (which visitor method a value calls, what an
//! unexpected value is called, the checks on leftover elements) is the one serde_json's
//! deserializer of a borrowed `Value` makes, so a file's problems read word for word as they did
//! when the tree was first turned into a `Value` ([`Node::to_json`]). The one difference in
//! shape, that a `Value` object cannot hold one key twice, does not arise: every parser refuses
//! a key written twice, and renaming refuses two spellings of one key
//! ([`super::rename_keys`]). Object keys are read as strings, which is all the models' keys are
//! (field names and maps of strings); serde_json would also read a key as a number.

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, Error as _, IntoDeserializer, MapAccess,
    SeqAccess, Unexpected, VariantAccess, Visitor,
};
use serde_json::{Error, Number};

use super::{Field, Node, Value};

impl<'de> Deserializer<'de> for &'de Node {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(value) => visitor.visit_bool(*value),
            Value::Number(number) => number.deserialize_any(visitor),
            Value::String(text) => visitor.visit_borrowed_str(text),
            Value::Array(items) => visit_array(items, visitor),
            Value::Object(fields) => visit_object(fields, visitor),
        }
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.number(visitor)
    }

    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.number(visitor)
    }

    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.number(visitor)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.number(visitor)
    }

    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.number(visitor)
    }

    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.number(visitor)
    }

    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.number(visitor)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.number(visitor)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.number(visitor)
    }

    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.number(visitor)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.number(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.number(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match &self.value {
            Value::Object(fields) => match fields.as_slice() {
                [field] => visitor.visit_enum(Enum {
                    variant: &field.key,
                    value: Some(&field.value),
                }),
                _ => Err(Error::invalid_value(
                    Unexpected::Map,
                    &"map with a single key",
                )),
            },
            Value::String(variant) => visitor.visit_enum(Enum {
                variant,
                value: None,
            }),
            _ => Err(Error::invalid_type(self.unexpected(), &"string or map")),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Bool(value) => visitor.visit_bool(value),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.value {
            Value::String(text) => visitor.visit_borrowed_str(text),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.value {
            Value::String(text) => visitor.visit_borrowed_str(text),
            Value::Array(items) => visit_array(items, visitor),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.value {
            Value::Array(items) => visit_array(items, visitor),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.value {
            Value::Object(fields) => visit_object(fields, visitor),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match &self.value {
            Value::Array(items) => visit_array(items, visitor),
            Value::Object(fields) => visit_object(fields, visitor),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

impl Node {
    fn number<'de, V: Visitor<'de>>(&self, visitor: V) -> Result<V::Value, Error> {
        match &self.value {
            Value::Number(number) => number.deserialize_any(visitor),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    #[cold]
    fn invalid_type(&self, expected: &dyn de::Expected) -> Error {
        Error::invalid_type(self.unexpected(), expected)
    }

    #[cold]
    fn unexpected(&self) -> Unexpected<'_> {
        match &self.value {
            Value::Null => Unexpected::Unit,
            Value::Bool(value) => Unexpected::Bool(*value),
            Value::Number(number) => unexpected_number(number),
            Value::String(text) => Unexpected::Str(text),
            Value::Array(_) => Unexpected::Seq,
            Value::Object(_) => Unexpected::Map,
        }
    }
}

fn unexpected_number(number: &Number) -> Unexpected<'static> {
    if let Some(unsigned) = number.as_u64() {
        Unexpected::Unsigned(unsigned)
    } else if let Some(signed) = number.as_i64() {
        Unexpected::Signed(signed)
    } else {
        Unexpected::Float(number.as_f64().unwrap_or(f64::NAN))
    }
}

fn visit_array<'de, V: Visitor<'de>>(items: &'de [Node], visitor: V) -> Result<V::Value, Error> {
    let len = items.len();
    let mut seq = Seq(items.iter());
    let value = visitor.visit_seq(&mut seq)?;
    if seq.0.len() == 0 {
        Ok(value)
    } else {
        Err(Error::invalid_length(len, &"fewer elements in array"))
    }
}

fn visit_object<'de, V: Visitor<'de>>(fields: &'de [Field], visitor: V) -> Result<V::Value, Error> {
    let len = fields.len();
    let mut map = Map {
        fields: fields.iter(),
        value: None,
    };
    let value = visitor.visit_map(&mut map)?;
    if map.fields.len() == 0 {
        Ok(value)
    } else {
        Err(Error::invalid_length(len, &"fewer elements in map"))
    }
}

struct Seq<'de>(std::slice::Iter<'de, Node>);

impl<'de> SeqAccess<'de> for Seq<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.0.next().map(|item| seed.deserialize(item)).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Map<'de> {
    fields: std::slice::Iter<'de, Field>,
    value: Option<&'de Node>,
}

impl<'de> MapAccess<'de> for Map<'de> {
    type Error = Error;

    fn next_key_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some(field) = self.fields.next() else {
            return Ok(None);
        };
        self.value = Some(&field.value);
        // Keys are read as strings, borrowed: the models' maps are keyed by strings, and their
        // fields are named by them.
        let key = BorrowedStrDeserializer::<Error>::new(&field.key);
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Error> {
        match self.value.take() {
            Some(value) => seed.deserialize(value),
            None => Err(Error::custom("value is missing")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.fields.len())
    }
}

/// An enum written as a string (a unit variant) or as an object of one key (the variant) and
/// its value.
struct Enum<'de> {
    variant: &'de str,
    value: Option<&'de Node>,
}

impl<'de> EnumAccess<'de> for Enum<'de> {
    type Error = Error;
    type Variant = Variant<'de>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Variant<'de>), Error> {
        let variant = seed.deserialize(self.variant.into_deserializer())?;
        Ok((variant, Variant(self.value)))
    }
}

struct Variant<'de>(Option<&'de Node>);

impl<'de> VariantAccess<'de> for Variant<'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        match self.0 {
            Some(value) => de::Deserialize::deserialize(value),
            None => Ok(()),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        match self.0 {
            Some(value) => seed.deserialize(value),
            None => Err(Error::invalid_type(
                Unexpected::UnitVariant,
                &"newtype variant",
            )),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Some(Node {
                value: Value::Array(items),
                ..
            }) => {
                if items.is_empty() {
                    visitor.visit_unit()
                } else {
                    visit_array(items, visitor)
                }
            }
            Some(other) => Err(Error::invalid_type(other.unexpected(), &"tuple variant")),
            None => Err(Error::invalid_type(
                Unexpected::UnitVariant,
                &"tuple variant",
            )),
        }
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Some(Node {
                value: Value::Object(fields),
                ..
            }) => visit_object(fields, visitor),
            Some(other) => Err(Error::invalid_type(other.unexpected(), &"struct variant")),
            None => Err(Error::invalid_type(
                Unexpected::UnitVariant,
                &"struct variant",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde::de::DeserializeOwned;

    use super::super::{Format, Node, parse, rename_keys};
    use crate::model::exported_services::{self, ExportedServices};
    use crate::model::service_intentions::{self, ServiceIntentions};

    /// What deserializing gives, as text: the value, or the error and where serde found it.
    fn outcome<T: DeserializeOwned + std::fmt::Debug>(
        result: Result<T, serde_path_to_error::Error<serde_json::Error>>,
    ) -> String {
        match result {
            Ok(value) => format!("{value:?}"),
            Err(error) => format!("{}: {}", error.path(), error.inner()),
        }
    }

    /// `T` from the tree itself and from the tree as a `serde_json::Value`: the same value, or
    /// the same error at the same path.
    fn assert_same<T: DeserializeOwned + std::fmt::Debug>(node: &Node, what: &str) {
        let direct = outcome::<T>(serde_path_to_error::deserialize(node));
        let via_json = outcome::<T>(serde_path_to_error::deserialize(node.to_json()));
        assert_eq!(direct, via_json, "{what}");
    }

    /// Both typed kinds from `text`, with and without the keys renamed as the loader does.
    fn assert_same_for_both_kinds(format: Format, text: &str, what: &str) {
        let Ok(mut node) = parse(format, text) else {
            return;
        };
        assert_same::<ExportedServices>(&node, what);
        assert_same::<ServiceIntentions>(&node, what);
        rename_keys(&mut node, &exported_services::canonical_key, &["Meta"]);
        assert_same::<ExportedServices>(&node, what);
        let mut node = parse(format, text).expect("parsed before");
        rename_keys(&mut node, &service_intentions::canonical_key, &["Meta"]);
        assert_same::<ServiceIntentions>(&node, what);
    }

    #[test]
    fn every_test_file_deserializes_as_through_a_json_value() {
        let mut checked = 0;
        let mut folders = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")];
        while let Some(folder) = folders.pop() {
            for item in std::fs::read_dir(&folder).expect("a readable folder") {
                let path = item.expect("a folder entry").path();
                if path.is_dir() {
                    folders.push(path);
                    continue;
                }
                let (Some(format), Ok(text)) = (
                    Format::for_entry_file(&path),
                    std::fs::read_to_string(&path),
                ) else {
                    continue;
                };
                assert_same_for_both_kinds(format, &text, &path.display().to_string());
                checked += 1;
            }
        }
        assert!(checked > 100, "only {checked} files found");
    }

    #[test]
    fn wrong_shapes_fail_with_serde_json_s_words() {
        for text in [
            r#"{"Kind": "exported-services", "Name": 5, "Services": {"Name": "a"}}"#,
            r#"{"Name": "web", "Sources": [{"Name": "a", "Action": "maybe"}]}"#,
            r#"{"Name": "web", "Sources": [{"Name": "a", "Action": {"allow": 1}}]}"#,
            r#"{"Name": "web", "Sources": [{"Name": "a", "Action": {"allow": null, "deny": null}}]}"#,
            r#"{"Name": "web", "Sources": [{"Name": "a", "Action": ["allow"]}]}"#,
            r#"{"Name": "web", "Sources": [{"Name": "a", "Precedence": -1.5}]}"#,
            r#"{"Name": "web", "Sources": [{"Name": "a", "Precedence": 18446744073709551615}]}"#,
            r#"{"Name": "web", "Sources": [{"Name": true, "Permissions": [{"HTTP": {"Methods": "GET"}}]}]}"#,
            r#"{"Name": "web", "Meta": {"a": 1}, "Sources": []}"#,
            r#"{"Name": "web", "Meta": [], "Sources": null}"#,
            r#"{"Name": "web", "JWT": {"Providers": [{"Name": "p", "VerifyClaims": [{"Path": [1]}]}]}}"#,
            r#"["a", 1, null]"#,
            r#""text""#,
            "null",
        ] {
            assert_same_for_both_kinds(Format::Json, text, text);
        }
    }
}
