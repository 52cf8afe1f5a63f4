//! Config entry calls (consul-api.md §2): list a kind, read one, and check-and-set write and
//! delete.
//!
//! Reads are `?consistent`: right after a leader change a default-mode read can miss the last
//! writes, and a plan made from it would show changes that are already made.
//!
//! Writes and deletes always carry `?cas=`: `0` creates only if absent, `N` changes only the
//! entry whose ModifyIndex is still `N`. A refusal is `Ok(false)`, not an error. They are never
//! resent: a resent CAS write whose first attempt succeeded would be refused and look like a
//! conflict, so after an ambiguous failure the caller re-reads the entry.
//!
//! # Namespaces and partitions (Consul Enterprise)
//! Following `agent/config_endpoint.go`: a list reads the namespace of its `ns` (`*` for every
//! namespace), a read or delete addresses the entry by its `ns` and `partition`, and a write
//! takes the body's `Namespace` and `Partition`, filling only empty ones from the query
//! (`EnterpriseMeta.Merge`). Each request here names the entry's own namespace and partition
//! (the default namespace when the entry names none), so where an entry lives depends on the
//! files alone; see [`Namespace`].
//!
//! # Caveats
//! Consul returns `true` without checking `cas` when a write changes nothing, and a CAS delete
//! of a missing entry also returns `true`.

use reqwest::Method;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::client::{Client, Namespace, Request};
use super::error::Error;
use super::permission::Access;
use crate::model::{EntryKey, LiveEntry, Naming};

/// A kind's entries with their keys, and the `X-Consul-Index` of the list.
pub type EntryList = (Vec<(EntryKey, LiveEntry)>, u64);

/// The key of a config entry as Consul returned it. `Namespace` and `Partition` count only when
/// set and not `default`, so CE entries and ENT entries in the default namespace and partition
/// have the same keys as entries declared without them.
pub fn entry_key(kind: &str, body: &Map<String, Value>) -> EntryKey {
    let text = |field: &str| body.get(field).and_then(Value::as_str).map(str::to_owned);
    key_of(
        kind,
        Naming {
            name: text("Name"),
            namespace: text("Namespace"),
            partition: text("Partition"),
        },
    )
}

/// [`entry_key`] of the entry `naming` names.
fn key_of(kind: &str, naming: Naming) -> EntryKey {
    let qualifier = |value: Option<String>| {
        value.filter(|value| !value.is_empty() && value.as_str() != "default")
    };
    EntryKey {
        kind: kind.to_owned(),
        name: naming
            .name
            .unwrap_or_else(|| singleton_name(kind).to_owned()),
        namespace: qualifier(naming.namespace),
        partition: qualifier(naming.partition),
    }
}

/// The name of an entry of a kind that has exactly one entry per partition and no `Name` field
/// (`mesh`): Consul addresses it as `/v1/config/mesh/mesh`.
pub fn singleton_name(kind: &str) -> &str {
    match kind {
        crate::model::entry::MESH => crate::model::entry::MESH,
        _ => "",
    }
}

/// The key of an entry in the default namespace and the cluster's partition.
fn default_scope(kind: &str, name: &str) -> EntryKey {
    EntryKey {
        kind: kind.to_owned(),
        name: name.to_owned(),
        namespace: None,
        partition: None,
    }
}

/// Decodes the body of `GET /v1/config/:kind` (`null` when there are none): each entry with
/// its key. Entries stay JSON text ([`LiveEntry`]), sharing the body; only what names them is
/// decoded.
///
/// # Errors
/// A body that is not JSON, or not a list of objects.
pub fn entry_list(kind: &str, body: Vec<u8>) -> serde_json::Result<Vec<(EntryKey, LiveEntry)>> {
    let body = String::from_utf8(body)
        .map_err(|_| <serde_json::Error as serde::de::Error>::custom("the body is not UTF-8"))?;
    Ok(LiveEntry::list(body)?
        .into_iter()
        .map(|(naming, entry)| (key_of(kind, naming), entry))
        .collect())
}

/// Decodes the body of `GET /v1/config/:kind/:name`.
///
/// # Errors
/// A body that is not a JSON object.
pub fn entry_read(body: &[u8]) -> serde_json::Result<LiveEntry> {
    let entry: &RawValue = serde_json::from_slice(body)?;
    LiveEntry::from_text(entry.get()).map(|(_, entry)| entry)
}

fn entry_access(kind: &str, name: &str, write: bool) -> Access {
    Access::Entry {
        kind: kind.to_owned(),
        name: name.to_owned(),
        write,
    }
}

impl Client {
    /// `GET /v1/config/:kind`: every entry of `kind` the token may read (Consul drops the
    /// others silently), one request whatever their number.
    ///
    /// # Errors
    /// As for every call. A kind this Consul does not know is an error for which
    /// [`Error::is_unknown_kind`] holds.
    pub async fn list_entries(&self, kind: &str) -> Result<EntryList, Error> {
        self.list_entries_in(kind, false).await
    }

    /// [`Client::list_entries`] of every namespace (`?ns=*`) when the cluster is Enterprise or
    /// `across_namespaces` (the files declare entries in namespaces): entries the workspace
    /// owns in any namespace must be seen to be compared or deleted.
    ///
    /// # Errors
    /// As for [`Client::list_entries`].
    pub async fn list_entries_in(
        &self,
        kind: &str,
        across_namespaces: bool,
    ) -> Result<EntryList, Error> {
        Ok(self.list_entries_seen(kind, across_namespaces).await?.0)
    }

    /// [`Client::list_entries_in`], and whether Consul left out entries the token may not read
    /// (it filters lists by ACLs instead of refusing them).
    ///
    /// # Errors
    /// As for [`Client::list_entries`].
    pub async fn list_entries_seen(
        &self,
        kind: &str,
        across_namespaces: bool,
    ) -> Result<(EntryList, bool), Error> {
        // Entries declared in namespaces mean Enterprise, whatever the settings say.
        let namespace = if across_namespaces {
            Namespace::Named("*".to_owned())
        } else {
            Namespace::All
        };
        let request = Request::get(&["config", kind], entry_access(kind, "*", false))
            .consistent()
            .partitioned()
            .namespace(namespace);
        let mut reply = self.execute(request).await?;
        // Config entries hold no secret: the body is kept as the entries' text, not wiped.
        let body = std::mem::take(&mut *reply.body);
        let entries =
            entry_list(kind, body).map_err(|err| self.decode_error(&reply, err.to_string()))?;
        Ok(((entries, reply.index.unwrap_or_default()), reply.filtered))
    }

    /// `GET /v1/config/:kind/:name`; `None` when there is no such entry (404).
    ///
    /// # Errors
    /// As for every call, except that 404 is `Ok(None)`.
    pub async fn read_entry(&self, kind: &str, name: &str) -> Result<Option<LiveEntry>, Error> {
        self.read_entry_at(&default_scope(kind, name)).await
    }

    /// [`Client::read_entry`] of the entry `key` names, in its namespace and partition.
    ///
    /// # Errors
    /// As for [`Client::read_entry`].
    pub async fn read_entry_at(&self, key: &EntryKey) -> Result<Option<LiveEntry>, Error> {
        let (kind, name) = (key.kind.as_str(), key.name.as_str());
        let request = Request::get(&["config", kind, name], entry_access(kind, name, false))
            .consistent()
            .in_partition(key.partition.as_deref())
            .namespace(Namespace::of_entry(key.namespace.as_deref()));
        match self.execute(request).await {
            Ok(reply) => entry_read(&reply.body)
                .map(Some)
                .map_err(|err| self.decode_error(&reply, err.to_string())),
            Err(err) if err.status() == Some(404) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// `PUT /v1/config?cas=<cas>` with the entry as `body`: `Ok(true)` when written (or
    /// unchanged), `Ok(false)` when `cas` no longer matches (`0`: the entry exists). Sent once.
    ///
    /// # Errors
    /// As for every call. Consul reports validation failures as 500 with its reason, and
    /// decoding failures (unknown keys, `Partition` on CE) as 400.
    pub async fn write_entry(&self, body: &Value, cas: u64) -> Result<bool, Error> {
        let field = |key: &str| body.get(key).and_then(Value::as_str).unwrap_or_default();
        let access = entry_access(field("Kind"), field("Name"), true);
        let body_object = body.as_object().cloned().unwrap_or_default();
        let key = entry_key(field("Kind"), &body_object);
        let request = Request::once(Method::PUT, &["config"], access)
            .query("cas", cas.to_string())
            .in_partition(key.partition.as_deref())
            .namespace(Namespace::of_entry(key.namespace.as_deref()))
            .json(body);
        let reply = self.execute(request).await?;
        self.decode(&reply)
    }

    /// `DELETE /v1/config/:kind/:name?cas=<cas>`: `Ok(false)` when the entry's ModifyIndex is
    /// no longer `cas`. Sent once.
    ///
    /// # Errors
    /// As for every call.
    pub async fn delete_entry(&self, kind: &str, name: &str, cas: u64) -> Result<bool, Error> {
        self.delete_entry_at(&default_scope(kind, name), cas).await
    }

    /// [`Client::delete_entry`] of the entry `key` names, in its namespace and partition.
    ///
    /// # Errors
    /// As for [`Client::delete_entry`].
    pub async fn delete_entry_at(&self, key: &EntryKey, cas: u64) -> Result<bool, Error> {
        let (kind, name) = (key.kind.as_str(), key.name.as_str());
        let request = Request::once(
            Method::DELETE,
            &["config", kind, name],
            entry_access(kind, name, true),
        )
        .query("cas", cas.to_string())
        .in_partition(key.partition.as_deref())
        .namespace(Namespace::of_entry(key.namespace.as_deref()));
        let reply = self.execute(request).await?;
        self.decode(&reply)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::Owner;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn default_namespace_and_partition_are_left_out_of_the_key() {
        let body = object(json!({"Kind": "service-intentions", "Name": "web",
                                 "Namespace": "default", "Partition": ""}));
        let key = entry_key("service-intentions", &body);
        assert_eq!(key.name, "web");
        assert_eq!((key.namespace, key.partition), (None, None));
    }

    #[test]
    fn other_namespaces_and_partitions_are_kept() {
        let body = object(json!({"Name": "web", "Namespace": "team-a", "Partition": "payments"}));
        let key = entry_key("service-defaults", &body);
        assert_eq!(key.namespace.as_deref(), Some("team-a"));
        assert_eq!(key.partition.as_deref(), Some("payments"));
    }

    #[test]
    fn the_modify_index_is_read_from_the_body_and_the_hash_survives_as_u64() {
        let body = json!({"Name": "default", "ModifyIndex": 42, "Hash": 18446744073709551615u64});
        let entry = entry_read(body.to_string().as_bytes()).unwrap();
        assert_eq!(entry.modify_index, 42);
        assert_eq!(
            entry.body().get("Hash").and_then(Value::as_u64),
            Some(u64::MAX)
        );
    }

    #[test]
    fn a_list_is_read_with_each_entry_named_and_owned_as_its_body_says() {
        let list = json!([
            {"Kind": "service-defaults", "Name": "web", "Namespace": "default", "Partition": "",
             "ModifyIndex": 7, "Meta": {"managed-by": "meshplan", "meshplan-workspace": "ws"}},
            {"Kind": "service-defaults", "Name": "api", "Namespace": "team-a", "ModifyIndex": 9,
             "Meta": {"managed-by": "meshplan", "other": 1}, "Protocol": "http"},
        ]);
        let entries = entry_list("service-defaults", list.to_string().into_bytes()).unwrap();
        let seen: Vec<_> = entries
            .iter()
            .map(|(key, entry)| {
                (
                    key.name.as_str(),
                    key.namespace.as_deref(),
                    key.partition.as_deref(),
                    entry.modify_index,
                    entry.owner().clone(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("web", None, None, 7, Owner::Workspace("ws".to_owned())),
                ("api", Some("team-a"), None, 9, Owner::Unnamed),
            ]
        );
        let list = list.as_array().unwrap();
        for ((_, entry), body) in entries.iter().zip(list) {
            assert_eq!(&Value::Object(entry.body()), body);
        }
        assert_eq!(entry_list("mesh", b"null".to_vec()).unwrap(), []);
        assert!(entry_list("mesh", b"[1]".to_vec()).is_err());
    }

    #[test]
    fn members_of_another_type_count_as_absent_and_meta_is_read_in_any_spelling() {
        let odd = json!({"Name": 7, "ModifyIndex": "7", "Meta": "marked"});
        let entry = entry_read(odd.to_string().as_bytes()).unwrap();
        assert_eq!((entry.modify_index, entry.owner()), (0, &Owner::Nobody));
        assert_eq!(
            entry_list("mesh", format!("[{odd}]").into_bytes()).unwrap()[0]
                .0
                .name,
            "mesh"
        );
        let lower = json!({"Name": "web", "meta": {"managed-by": "meshplan"}, "Meta": {}});
        let entry = entry_read(lower.to_string().as_bytes()).unwrap();
        assert_eq!(entry.owner(), &Owner::Unnamed);
    }
}
