//! `Meta` of the two modelled kinds: free-form text pairs, kept in key order in one list.
//!
//! A `BTreeMap` allocates a node for eleven pairs however few it holds, about 550 bytes for the
//! one or two pairs an entry usually has: a sixth of a loaded workspace of 100,000 entries.
//! A sorted list of exactly the pairs given reads, compares and serializes the same way.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};

use super::exported_services::WeakText;

/// Text pairs with unique keys, in key order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meta(Vec<(String, String)>);

impl Meta {
    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.position(key).ok().map(|at| self.0[at].1.as_str())
    }

    /// Sets `key` to `value`; returns the value it replaces.
    pub fn insert(&mut self, key: String, value: String) -> Option<String> {
        match self.position(&key) {
            Ok(at) => Some(std::mem::replace(&mut self.0[at].1, value)),
            Err(at) => {
                self.0.insert(at, (key, value));
                None
            }
        }
    }

    /// The pairs in key order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.0
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn position(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }
}

impl FromIterator<(String, String)> for Meta {
    /// As collecting into a map: a key given twice keeps its last value.
    fn from_iter<I: IntoIterator<Item = (String, String)>>(pairs: I) -> Self {
        let mut pairs: Vec<(String, String)> = pairs.into_iter().collect();
        // A stable sort keeps equal keys in the order given, so the later pair replaces.
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        let mut unique: Vec<(String, String)> = Vec::with_capacity(pairs.len());
        for pair in pairs {
            match unique.last_mut() {
                Some(last) if last.0 == pair.0 => *last = pair,
                _ => unique.push(pair),
            }
        }
        unique.shrink_to_fit();
        Self(unique)
    }
}

impl<const N: usize> From<[(String, String); N]> for Meta {
    fn from(pairs: [(String, String); N]) -> Self {
        pairs.into_iter().collect()
    }
}

impl IntoIterator for Meta {
    type Item = (String, String);
    type IntoIter = std::vec::IntoIter<(String, String)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl Serialize for Meta {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (key, value) in self.iter() {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Meta {
    /// As Consul's decoder reads `Meta`: values weakly typed ([`WeakText`]); `null` is empty. A
    /// key given twice is an error: which value Consul would keep is not for meshplan to guess
    /// (a file's tree refuses it first, with its place; this catches it when a JSON file is read
    /// straight into its type).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Option::<Pairs>::deserialize(deserializer)?
            .map(|pairs| pairs.0)
            .unwrap_or_default())
    }
}

/// The pairs of a `Meta` object as read, each key once.
struct Pairs(Meta);

impl<'de> Deserialize<'de> for Pairs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(PairsVisitor)
    }
}

struct PairsVisitor;

impl<'de> Visitor<'de> for PairsVisitor {
    type Value = Pairs;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a map of text")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Pairs, A::Error> {
        let mut pairs: Vec<(String, String)> = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some((key, value)) = map.next_entry::<String, WeakText>()? {
            pairs.push((key, value.0));
        }
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(twice) = pairs.windows(2).find(|two| two[0].0 == two[1].0) {
            return Err(de::Error::custom(format!("duplicate key `{}`", twice[0].0)));
        }
        Ok(Pairs(Meta(pairs)))
    }
}

impl JsonSchema for Meta {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        BTreeMap::<String, String>::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        BTreeMap::<String, String>::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(key: &str, value: &str) -> (String, String) {
        (key.to_owned(), value.to_owned())
    }

    #[test]
    fn pairs_are_kept_in_key_order_and_a_repeated_key_keeps_its_last_value() {
        let meta: Meta = [pair("b", "1"), pair("a", "2"), pair("b", "3")]
            .into_iter()
            .collect();
        assert_eq!(meta.iter().collect::<Vec<_>>(), [("a", "2"), ("b", "3")]);
        assert_eq!(meta.get("b"), Some("3"));
        assert_eq!(meta.get("c"), None);
    }

    #[test]
    fn insert_replaces_or_adds_in_order() {
        let mut meta = Meta::from([pair("m", "1")]);
        assert_eq!(meta.insert("a".to_owned(), "2".to_owned()), None);
        assert_eq!(
            meta.insert("m".to_owned(), "3".to_owned()),
            Some("1".to_owned())
        );
        assert_eq!(meta.insert("z".to_owned(), "4".to_owned()), None);
        assert_eq!(
            meta.iter().collect::<Vec<_>>(),
            [("a", "2"), ("m", "3"), ("z", "4")]
        );
    }

    #[test]
    fn it_reads_weakly_and_writes_as_a_map() {
        let meta: Meta =
            serde_json::from_value(serde_json::json!({"z": 2, "a": true, "m": "x"})).unwrap();
        assert_eq!(
            serde_json::to_value(&meta).unwrap(),
            serde_json::json!({"a": "1", "m": "x", "z": "2"})
        );
        assert_eq!(
            serde_json::to_string(&meta).unwrap(),
            r#"{"a":"1","m":"x","z":"2"}"#
        );
        let none: Meta = serde_json::from_value(serde_json::Value::Null).unwrap();
        assert!(none.is_empty());
    }
}
