//! A saved plan against a fresh plan of the same files: a saved plan must do exactly what a fresh
//! plan does. A plan file is JSON anyone can edit; without this check an edited plan could write
//! a body no file declares, leave out the ownership mark, delete what this workspace does not
//! own, or drop reviewed changes and apply as "No changes". A fresh plan that holds more than the
//! saved one means the clusters moved since the plan was made: stale, as Terraform refuses a
//! saved plan once the state moved.

use std::collections::{HashMap, HashSet};

use super::change::{Change, Plan};

/// Every change of `saved` that `fresh` does not hold exactly as saved, and every change of
/// `fresh` that `saved` leaves out, as `cluster: object: what differs`. Both are made with the
/// same `--cluster` and options, so for the same files and clusters they are the same.
pub fn beyond(saved: &Plan, fresh: &Plan) -> Vec<String> {
    let mut problems = Vec::new();
    if saved.workspace != fresh.workspace {
        problems.push(format!(
            "the plan was made for workspace `{}`, the files are workspace `{}`",
            saved.workspace, fresh.workspace
        ));
    }
    let fresh_changes: HashMap<(&str, String), &Change> = fresh
        .changes
        .iter()
        .map(|change| ((change.cluster.as_str(), change.object.to_string()), change))
        .collect();
    for change in &saved.changes {
        let key = (change.cluster.as_str(), change.object.to_string());
        let differs = match fresh_changes.get(&key) {
            None => Some(format!(
                "the plan would {} it, but a fresh plan of the files would not touch it",
                change.action.verb()
            )),
            Some(fresh) => difference(change, fresh),
        };
        if let Some(differs) = differs {
            problems.push(format!("{}: {}: {differs}", key.0, key.1));
        }
    }
    let saved_changes: HashSet<(&str, String)> = saved
        .changes
        .iter()
        .map(|change| (change.cluster.as_str(), change.object.to_string()))
        .collect();
    for change in &fresh.changes {
        let key = (change.cluster.as_str(), change.object.to_string());
        if !saved_changes.contains(&key) {
            problems.push(format!(
                "{}: {}: a fresh plan of the files would {} it, but the plan leaves it out",
                key.0,
                key.1,
                change.action.verb()
            ));
        }
    }
    problems
}

/// What differs between a saved change and the fresh change of the same object, if anything.
fn difference(saved: &Change, fresh: &Change) -> Option<String> {
    if saved.action != fresh.action {
        return Some(format!(
            "the plan would {} it, a fresh plan of the files would {} it",
            saved.action.verb(),
            fresh.action.verb()
        ));
    }
    if saved.body != fresh.body {
        return Some("the body the plan writes is not what the files declare".to_owned());
    }
    if saved.modify_index != fresh.modify_index {
        return Some(format!(
            "the plan names ModifyIndex {}, the cluster holds {}",
            saved.modify_index, fresh.modify_index
        ));
    }
    if saved.object != fresh.object {
        return Some("the peering the plan makes is not what the files declare".to_owned());
    }
    (saved != fresh).then(|| "the change differs from a fresh plan of the files".to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::{Action, EntryObject, Object};

    fn change(action: Action, name: &str, body: Option<serde_json::Value>) -> Change {
        let object = Object::Entry(EntryObject {
            kind: "service-defaults".into(),
            name: name.into(),
            namespace: None,
            partition: None,
        });
        let mut change = Change::new("c", object, action, 0);
        change.body = body;
        change
    }

    fn plan(changes: Vec<Change>) -> Plan {
        Plan::new("ws", vec!["c".into()], changes)
    }

    #[test]
    fn the_same_plan_is_within_a_fresh_plan_and_one_that_does_less_is_not() {
        let web = change(Action::Create, "web", Some(json!({"Protocol": "http"})));
        let api = change(Action::Create, "api", Some(json!({"Protocol": "http"})));
        let fresh = plan(vec![web.clone(), api]);
        assert!(beyond(&fresh.clone(), &fresh).is_empty());
        assert_eq!(
            beyond(&plan(vec![web]), &fresh),
            vec![
                "c: service-defaults/api: a fresh plan of the files would create it, but the plan \
                 leaves it out"
            ]
        );
        assert_eq!(beyond(&plan(Vec::new()), &fresh).len(), 2);
    }

    #[test]
    fn an_edited_body_an_added_delete_and_another_workspace_are_beyond_a_fresh_plan() {
        let fresh = plan(vec![change(
            Action::Create,
            "web",
            Some(json!({"Protocol": "http"})),
        )]);
        let edited = plan(vec![change(
            Action::Create,
            "web",
            Some(json!({"Protocol": "tcp"})),
        )]);
        assert_eq!(
            beyond(&edited, &fresh),
            ["c: service-defaults/web: the body the plan writes is not what the files declare"]
        );
        let mut added = fresh.clone();
        added.changes.push(change(Action::Delete, "unmarked", None));
        assert_eq!(
            beyond(&added, &fresh),
            [
                "c: service-defaults/unmarked: the plan would delete it, but a fresh plan of \
                 the files would not touch it"
            ]
        );
        let mut other = fresh.clone();
        other.workspace = "other".into();
        assert_eq!(beyond(&other, &fresh).len(), 1);
    }
}
