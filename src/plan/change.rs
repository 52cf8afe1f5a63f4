//! The plan's types: what `plan` decides, what every renderer shows, what `apply` executes and
//! what a saved plan file holds (serde of these types; see `render::json` for the format's
//! compatibility policy).
//!
//! A plan holds no secret: peering tokens are made and used by `apply`, never planned; token
//! files appear by path only. Keep it so: nothing here may hold a `model::Secret`.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The version of the plan format; see `render::json` for what changes it.
pub const FORMAT_VERSION: u32 = 1;

/// What `apply` would do to make the clusters match the files, in the order it would do it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Plan {
    /// The version of this format. Readers refuse versions they do not know; fields may be
    /// added without a new version.
    pub format_version: u32,
    /// The workspace the plan was made for: what it writes is marked with this name, and it
    /// deletes only objects marked with it.
    #[serde(default)]
    pub workspace: String,
    /// The clusters that were planned (read and compared), in the order renderers show them.
    pub clusters: Vec<String>,
    /// The changes, in the order `apply` makes them: peerings first, then config entries
    /// (dependencies first), then deletes in reverse.
    pub changes: Vec<Change>,
    /// How many changes of each action the plan holds.
    pub summary: Summary,
    /// Clusters on which the plan deletes every config entry the workspace owns: most likely a
    /// missing or emptied folder, or a wrong checkout. `apply` refuses the plan unless allowed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emptied: Vec<Emptied>,
    /// Live objects marked by meshplan before workspaces had names that no file declares: never
    /// deleted, listed so that a workspace can claim them by declaring them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unclaimed: Vec<Unclaimed>,
    /// Sides of declared peerings that are not ACTIVE although nothing is planned for them
    /// (a token not used yet, a stream that broke): shown with what to do, never counted as
    /// changes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_active: Vec<NotActive>,
}

/// A side of a declared peering that is not ACTIVE, with nothing planned for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NotActive {
    /// The side's cluster.
    pub cluster: String,
    /// The peering's local name there.
    pub peering: String,
    /// The state Consul reports (`PENDING`, `ESTABLISHING`, `FAILING`, ...).
    pub state: String,
    /// What it means and what to do.
    pub advice: String,
}

/// A cluster on which the plan deletes every config entry the workspace owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Emptied {
    /// The cluster emptied.
    pub cluster: String,
    /// How many entries the workspace owns there (all of them deleted).
    pub deletes: usize,
    /// Whether `--allow-delete-all` allowed it.
    pub allowed: bool,
}

/// A live object with meshplan's mark but no workspace name, that no file declares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Unclaimed {
    /// The cluster the object lives on.
    pub cluster: String,
    /// `service-intentions/web`, `peering cluster-02`.
    pub object: String,
}

/// One change to one object on one cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Change {
    /// The cluster the change is made on. For a peering whose two sides are both clusters of the
    /// workspace, the acceptor's cluster (the change also touches the dialer's).
    pub cluster: String,
    /// What is changed.
    pub object: Object,
    /// What is done to it.
    pub action: Action,
    /// The `ModifyIndex` of the live object this change was planned against, 0 when it is absent.
    /// Config-entry writes and deletes send it as check-and-set `cas`, so that a change made by
    /// someone else since the plan is never overwritten; peering changes are re-read first.
    pub modify_index: u64,
    /// Whether the change destroys what applying the files again cannot restore: deleting a
    /// working peering stops replication and deletes the data imported through it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub destructive: bool,
    /// Why the change is needed, when the action alone does not say it (re-establish, adopt,
    /// peering delete).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Config entries: the live entry in canonical form (`model::normalize`); absent for a
    /// create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    /// Config entries: the entry the files declare, with the ownership mark, in canonical form
    /// and with the live entry's key spelling; absent for a delete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
    /// Config entries: the paths of the fields that differ between `before` and `after`, in
    /// Consul's notation (`Sources[0].Action`); empty for creates and deletes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<String>,
    /// Config entries: what differs, said by name, set elements matched by identity (`source
    /// web (peer cluster-02): Action: allow → deny`, `+ source api`, `- consumer cluster-03 of
    /// service api`); the ownership mark left out. Empty for creates and deletes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<String>,
    /// Config entries: the exact JSON body `apply` PUTs (the entry as declared plus the
    /// ownership mark in `Meta`); absent for a delete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

/// What a change is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
// A plan holds a few hundred changes at most; boxing the larger variant would only make every
// `match` in apply and the renderers noisier.
#[allow(clippy::large_enum_variant)]
pub enum Object {
    /// A cluster peering.
    Peering(PeeringObject),
    /// A config entry.
    Entry(EntryObject),
}

/// A config entry, identified as Consul identifies it within one cluster.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct EntryObject {
    /// The entry's `Kind` (`service-intentions`).
    pub kind: String,
    /// The entry's `Name`.
    pub name: String,
    /// Consul Enterprise namespace; absent for the default one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Consul Enterprise admin partition; absent for the default one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
}

/// A peering: its name on the change's cluster, both sides as the files declare them, and what
/// `apply` needs to establish it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PeeringObject {
    /// The peering's local name on the change's cluster.
    pub name: String,
    /// The accepting side (it generates the token). Absent when the files no longer declare the
    /// peering and the change's side is the dialer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acceptor: Option<PeeringEnd>,
    /// The dialing side (it establishes with the token). Absent when the files no longer declare
    /// the peering and the change's side is the acceptor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialer: Option<PeeringEnd>,
    /// The `Meta` sent when generating the token and when establishing, with the ownership mark.
    /// Consul only stores it when a side is created; it is never compared.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<String, String>,
    /// Addresses the dialer should use instead of the acceptor's servers (sent on generate).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub server_external_addresses: Vec<String>,
    /// Only the acceptor is ours: where `apply` writes the token (mode 0600), relative to the
    /// workspace root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_out: Option<String>,
    /// Only the dialer is ours: the file holding the token to establish with, relative to the
    /// workspace root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_file: Option<String>,
}

/// One side of a peering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PeeringEnd {
    /// The cluster's name in the workspace, or the name the workspace gives the other party.
    pub cluster: String,
    /// The name this side gives the peering locally.
    pub peer_name: String,
    /// Consul Enterprise admin partition this side peers; absent for the default one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
    /// Whether this side is a cluster of the workspace (and so changed by meshplan).
    pub ours: bool,
    /// This side as read at plan time; absent when it does not exist or is not ours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen: Option<SeenPeering>,
}

/// One side of a peering as read at plan time; `apply` of a saved plan re-reads it and refuses
/// the plan when it changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SeenPeering {
    /// The state Consul reported (`ACTIVE`, `FAILING`, ...).
    pub state: String,
    /// Whether this side dialed the peering (it has the other side's server addresses).
    pub dialer: bool,
    /// Whether it carries meshplan's ownership mark.
    pub managed: bool,
    /// The workspace its mark names; absent without a mark or without a name in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    /// Its `ModifyIndex`.
    pub modify_index: u64,
}

/// What a change does.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Write a config entry that does not exist (check-and-set index 0).
    Create,
    /// Rewrite a config entry meshplan manages whose content differs from the files.
    Update,
    /// Delete a config entry or peering side that meshplan manages and the files no longer
    /// declare.
    Delete,
    /// Take over an object the files declare that lacks the ownership mark. For a config entry
    /// the write adds the mark (and any content change); a peering's `Meta` cannot be changed in
    /// place, so adopting one writes nothing and meshplan will never delete it.
    Adopt,
    /// Create a peering: generate a token on the acceptor, establish with it on the dialer.
    Establish,
    /// Make a declared peering work again: one side is gone, FAILING, TERMINATED or being
    /// deleted. A fresh token is generated and established; broken sides are deleted first.
    Reestablish,
    /// Delete a peering's sides and establish it again, because what must change cannot be
    /// changed in place (its `Meta`, or the workspace its mark names). Always destructive.
    Replace,
    /// Hand an object marked by another workspace to this one, as `--take-over` asked: the
    /// write marks it with this workspace's name.
    TakeOver,
    /// An object the files declare that another workspace owns: never written. `apply`
    /// refuses a plan that holds one; `--take-over WORKSPACE` hands it over.
    Conflict,
}

impl Action {
    /// The verb plans show: `create`, ..., `re-establish`.
    pub fn verb(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Adopt => "adopt",
            Self::Establish => "establish",
            Self::Reestablish => "re-establish",
            Self::Replace => "replace",
            Self::TakeOver => "take over",
            Self::Conflict => "conflict",
        }
    }

    /// The marker plans and apply reports show in front of a change, Terraform-like: `+` create
    /// and establish, `~` update, `-` delete, `<=` adopt and take over, `-/+` re-establish and
    /// replace, `!` conflict (never written).
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Create | Self::Establish => "+",
            Self::Update => "~",
            Self::Delete => "-",
            Self::Adopt | Self::TakeOver => "<=",
            Self::Reestablish | Self::Replace => "-/+",
            Self::Conflict => "!",
        }
    }

    /// What was done: `created`, ..., `re-established`, `taken over`.
    pub fn past(self) -> &'static str {
        match self {
            Self::Create => "created",
            Self::Update => "updated",
            Self::Delete => "deleted",
            Self::Adopt => "adopted",
            Self::Establish => "established",
            Self::Reestablish => "re-established",
            Self::Replace => "replaced",
            Self::TakeOver => "taken over",
            Self::Conflict => "left alone (conflict)",
        }
    }
}

/// How many changes of each action a plan holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    /// Config entries to create.
    pub create: usize,
    /// Config entries to update.
    pub update: usize,
    /// Config entries and peering sides to delete.
    pub delete: usize,
    /// Config entries and peering sides to adopt.
    pub adopt: usize,
    /// Peerings to establish.
    pub establish: usize,
    /// Peerings to re-establish.
    pub reestablish: usize,
    /// Peerings to replace (deleted and established again).
    #[serde(default)]
    pub replace: usize,
    /// Objects to take over from another workspace.
    #[serde(default)]
    pub take_over: usize,
    /// Objects another workspace owns that the files declare (never written).
    #[serde(default)]
    pub conflict: usize,
    /// Peering adopts, which write nothing (included in `adopt`).
    pub adopt_without_write: usize,
}

impl Summary {
    /// The counts of `changes`.
    pub fn of<'a>(changes: impl IntoIterator<Item = &'a Change>) -> Self {
        let mut summary = Self::default();
        for change in changes {
            let count = match change.action {
                Action::Create => &mut summary.create,
                Action::Update => &mut summary.update,
                Action::Delete => &mut summary.delete,
                Action::Adopt => &mut summary.adopt,
                Action::Establish => &mut summary.establish,
                Action::Reestablish => &mut summary.reestablish,
                Action::Replace => &mut summary.replace,
                Action::TakeOver => &mut summary.take_over,
                Action::Conflict => &mut summary.conflict,
            };
            *count += 1;
            if change.action == Action::Adopt && !change.writes() {
                summary.adopt_without_write += 1;
            }
        }
        summary
    }

    /// Whether `apply` would write anything.
    pub fn has_writes(&self) -> bool {
        self.create
            + self.update
            + self.delete
            + self.adopt
            + self.establish
            + self.reestablish
            + self.replace
            + self.take_over
            > self.adopt_without_write
    }
}

impl fmt::Display for Summary {
    /// The plan's last line, Terraform-like: `Plan: 1 to create, 0 to update, 0 to delete, 1
    /// peering to establish.`, or `No changes. The clusters match the files.`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.conflict > 0 && !self.has_writes() {
            return write!(
                f,
                "Nothing to change, but {} the files declare {} owned by another workspace.",
                objects(self.conflict),
                if self.conflict == 1 { "is" } else { "are" }
            );
        }
        if !self.has_writes() {
            return match self.adopt_without_write {
                0 => f.write_str("No changes. The clusters match the files."),
                n => write!(
                    f,
                    "No changes. The clusters match the files ({} adopted as is).",
                    peerings(n)
                ),
            };
        }
        write!(
            f,
            "Plan: {} to create, {} to update, {} to delete",
            self.create, self.update, self.delete
        )?;
        if self.adopt > 0 {
            write!(f, ", {} to adopt", self.adopt)?;
        }
        if self.establish > 0 {
            write!(f, ", {} to establish", peerings(self.establish))?;
        }
        if self.reestablish > 0 {
            write!(f, ", {} to re-establish", peerings(self.reestablish))?;
        }
        if self.replace > 0 {
            write!(f, ", {} to replace", peerings(self.replace))?;
        }
        if self.take_over > 0 {
            write!(f, ", {} to take over", self.take_over)?;
        }
        if self.conflict > 0 {
            write!(f, ", {} in conflict", objects(self.conflict))?;
        }
        f.write_str(".")
    }
}

fn objects(n: usize) -> String {
    match n {
        1 => "1 object".to_owned(),
        n => format!("{n} objects"),
    }
}

fn peerings(n: usize) -> String {
    match n {
        1 => "1 peering".to_owned(),
        n => format!("{n} peerings"),
    }
}

impl Plan {
    /// A plan of `changes` (already ordered) over `clusters` for `workspace`.
    pub fn new(workspace: &str, clusters: Vec<String>, changes: Vec<Change>) -> Self {
        let summary = Summary::of(&changes);
        Self {
            format_version: FORMAT_VERSION,
            workspace: workspace.to_owned(),
            clusters,
            changes,
            summary,
            emptied: Vec::new(),
            unclaimed: Vec::new(),
            not_active: Vec::new(),
        }
    }

    /// Why `apply` must refuse this plan, writing nothing: objects in conflict with another
    /// workspace, and clusters emptied without `--allow-delete-all`. Empty when it may run.
    pub fn refusals(&self) -> Vec<String> {
        let conflicts = self
            .changes
            .iter()
            .filter(|change| change.action == Action::Conflict)
            .map(|change| {
                format!(
                    "{}: {}: {}",
                    change.cluster,
                    change.object,
                    change
                        .reason
                        .as_deref()
                        .unwrap_or("owned by another workspace")
                )
            });
        let emptied = self.emptied.iter().filter(|e| !e.allowed).map(|e| {
            format!(
                "{}: the plan deletes every config entry this workspace owns there ({}); pass \
                 --allow-delete-all if that is meant",
                e.cluster, e.deletes
            )
        });
        conflicts.chain(emptied).collect()
    }

    /// Whether applying the plan would write anything (`--detailed-exitcode` 2). A plan whose
    /// only changes are peering adopts has none: those stay in every plan, as a reminder that
    /// meshplan will never delete the peering, without making CI report drift.
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(Change::writes)
    }

    /// The changes made on `cluster`, in order.
    pub fn changes_on<'a>(&'a self, cluster: &'a str) -> impl Iterator<Item = &'a Change> + 'a {
        self.changes
            .iter()
            .filter(move |change| change.cluster == cluster)
    }
}

impl Change {
    /// A change of `object` on `cluster`, planned against `modify_index`, with nothing else
    /// said about it yet (no reason, content or body).
    pub fn new(cluster: &str, object: Object, action: Action, modify_index: u64) -> Self {
        Self {
            cluster: cluster.to_owned(),
            object,
            action,
            modify_index,
            destructive: false,
            reason: None,
            before: None,
            after: None,
            changed: Vec::new(),
            differences: Vec::new(),
            body: None,
        }
    }

    /// Whether applying the change writes to a cluster (a peering adopt and a conflict do
    /// not).
    pub fn writes(&self) -> bool {
        match self.action {
            Action::Conflict => false,
            Action::Adopt => !matches!(self.object, Object::Peering(_)),
            _ => true,
        }
    }
}

impl fmt::Display for Object {
    /// `service-intentions/web` or `peering cluster-02`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Peering(peering) => write!(f, "peering {}", peering.name),
            Self::Entry(entry) => entry.fmt(f),
        }
    }
}

impl EntryObject {
    /// The key Consul addresses the entry by: kind, name, namespace and partition.
    pub fn key(&self) -> crate::model::EntryKey {
        crate::model::EntryKey {
            kind: self.kind.clone(),
            name: self.name.clone(),
            namespace: self.namespace.clone(),
            partition: self.partition.clone(),
        }
    }
}

impl fmt::Display for EntryObject {
    /// `service-intentions/web`, with namespace and partition only when set.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind, self.name)?;
        if let Some(namespace) = &self.namespace {
            write!(f, " (namespace {namespace})")?;
        }
        if let Some(partition) = &self.partition {
            write!(f, " (partition {partition})")?;
        }
        Ok(())
    }
}

fn is_false(value: &bool) -> bool {
    !value
}
