//! Peering actions for the three shapes of peering (both sides ours, only the acceptor, only the
//! dialer), by the state each side is in.

use super::*;

const ACTIVE_ACCEPTOR: (Role, &str, bool) = (Role::Acceptor, "ACTIVE", true);
const ACTIVE_DIALER: (Role, &str, bool) = (Role::Dialer, "ACTIVE", true);

/// cluster-01 accepts, cluster-02 dials, both ours; sides as given (`None`: absent).
fn both(
    acceptor: Option<(Role, &str, bool)>,
    dialer: Option<(Role, &str, bool)>,
) -> (Desired, Live) {
    let mut desired = workspace(&["cluster-01", "cluster-02"]);
    desired.peerings.push(peering("cluster-01", "cluster-02"));
    let mut live = live(&["cluster-01", "cluster-02"]);
    if let Some(side) = acceptor {
        put_peering(&mut live, "cluster-01", "cluster-02", side, 11);
    }
    if let Some(side) = dialer {
        put_peering(&mut live, "cluster-02", "cluster-01", side, 21);
    }
    (desired, live)
}

#[test]
fn both_sides_absent_is_established_on_the_acceptors_cluster() {
    let (desired, live) = both(None, None);
    check(
        &desired,
        &live,
        "cluster-01 establish peering cluster-02 cas=0",
    );
    let plan = plan(&desired, &live);
    let Object::Peering(peering) = &plan.changes[0].object else {
        panic!("a peering")
    };
    let acceptor = peering.acceptor.as_ref().expect("acceptor");
    let dialer = peering.dialer.as_ref().expect("dialer");
    assert_eq!(
        (acceptor.cluster.as_str(), acceptor.peer_name.as_str()),
        ("cluster-01", "cluster-02")
    );
    assert_eq!(
        (dialer.cluster.as_str(), dialer.peer_name.as_str()),
        ("cluster-02", "cluster-01")
    );
    assert_eq!(
        peering.meta.get("managed-by").map(String::as_str),
        Some("meshplan")
    );
    assert_eq!(
        peering.meta.get("owner").map(String::as_str),
        Some("platform")
    );
}

#[test]
fn both_sides_working_is_no_change() {
    for (acceptor, dialer) in [
        ("ACTIVE", "ACTIVE"),
        ("PENDING", "ESTABLISHING"),
        ("PENDING", "ACTIVE"),
    ] {
        let (desired, live) = both(
            Some((Role::Acceptor, acceptor, true)),
            Some((Role::Dialer, dialer, true)),
        );
        check(&desired, &live, "");
    }
}

#[test]
fn a_missing_or_broken_side_is_reestablished_with_the_reason() {
    let cases = [
        (Some(ACTIVE_ACCEPTOR), None, "cluster-02's side is gone"),
        (None, Some(ACTIVE_DIALER), "cluster-01's side is gone"),
        (
            Some(ACTIVE_ACCEPTOR),
            Some((Role::Dialer, "FAILING", true)),
            "cluster-02 reports FAILING",
        ),
        (
            Some((Role::Acceptor, "FAILING", true)),
            Some(ACTIVE_DIALER),
            "cluster-01 reports FAILING",
        ),
        (
            Some((Role::Acceptor, "TERMINATED", true)),
            Some(ACTIVE_DIALER),
            "cluster-01 reports TERMINATED: the other side deleted its half",
        ),
        (
            Some(ACTIVE_ACCEPTOR),
            Some((Role::Dialer, "DELETING", true)),
            "cluster-02's side is being deleted",
        ),
        (
            Some(ACTIVE_ACCEPTOR),
            Some((Role::Dialer, "PENDING", true)),
            "cluster-02's side never finished establishing (PENDING)",
        ),
    ];
    for (acceptor, dialer, reason) in cases {
        let (desired, live) = both(acceptor, dialer);
        let plan = plan(&desired, &live);
        assert_eq!(plan.changes.len(), 1, "{reason}");
        let change = &plan.changes[0];
        assert_eq!(change.action, Action::Reestablish);
        assert_eq!(change.cluster, "cluster-01");
        assert!(!change.destructive);
        let why = change.reason.as_deref().unwrap_or_default();
        assert_eq!(why, reason);
    }
}

#[test]
fn a_reestablish_names_every_broken_side() {
    let (desired, live) = both(
        Some((Role::Acceptor, "TERMINATED", true)),
        Some((Role::Dialer, "FAILING", true)),
    );
    check(
        &desired,
        &live,
        "cluster-01 re-establish peering cluster-02 cas=11 \
         why=[cluster-01 reports TERMINATED: the other side deleted its half; cluster-02 reports FAILING]",
    );
}

#[test]
fn sides_in_the_wrong_role_are_reestablished_destructively() {
    let (desired, live) = both(
        Some((Role::Dialer, "ACTIVE", true)),
        Some((Role::Acceptor, "ACTIVE", true)),
    );
    check(
        &desired,
        &live,
        "cluster-01 re-establish peering cluster-02 cas=11 destructive \
         why=[cluster-01's side is a dialer, but the files make it the acceptor; \
         cluster-02's side is an acceptor, but the files make it the dialer]",
    );
}

#[test]
fn unmarked_working_sides_are_adopted_one_by_one_without_writing() {
    let (desired, live) = both(
        Some((Role::Acceptor, "ACTIVE", false)),
        Some((Role::Dialer, "ACTIVE", false)),
    );
    check(
        &desired,
        &live,
        "cluster-01 adopt peering cluster-02 cas=11
         cluster-02 adopt peering cluster-01 cas=21",
    );
    let plan = plan(&desired, &live);
    assert!(!plan.has_changes(), "adopting a peering writes nothing");
    assert_eq!(plan.summary.adopt, 2);
    assert_eq!(
        plan.summary.to_string(),
        "No changes. The clusters match the files (2 peerings adopted as is)."
    );
}

#[test]
fn only_the_acceptor_ours_is_established_and_reestablished_when_terminated() {
    let mut desired = workspace(&["cluster-01"]);
    desired
        .peerings
        .push(acceptor_only("cluster-01", "partner-east"));
    let mut live = live(&["cluster-01"]);
    check(
        &desired,
        &live,
        "cluster-01 establish peering partner-east cas=0",
    );
    let plan_ = plan(&desired, &live);
    let Object::Peering(peering) = &plan_.changes[0].object else {
        panic!("a peering")
    };
    assert_eq!(
        peering.token_out.as_deref(),
        Some("tokens/partner-east.token")
    );

    for state in ["PENDING", "ACTIVE", "FAILING"] {
        put_peering(
            &mut live,
            "cluster-01",
            "partner-east",
            (Role::Acceptor, state, true),
            5,
        );
        check(&desired, &live, "");
    }
    put_peering(
        &mut live,
        "cluster-01",
        "partner-east",
        (Role::Acceptor, "TERMINATED", true),
        5,
    );
    check(
        &desired,
        &live,
        "cluster-01 re-establish peering partner-east cas=5 \
         why=[cluster-01 reports TERMINATED: the other side deleted its half]",
    );
    put_peering(
        &mut live,
        "cluster-01",
        "partner-east",
        (Role::Acceptor, "ACTIVE", false),
        5,
    );
    check(
        &desired,
        &live,
        "cluster-01 adopt peering partner-east cas=5",
    );
}

#[test]
fn only_the_dialer_ours_is_established_from_the_token_file_and_reestablished_when_broken() {
    let mut desired = workspace(&["cluster-02"]);
    desired
        .peerings
        .push(dialer_only("partner-west", "cluster-02"));
    let mut live = live(&["cluster-02"]);
    check(
        &desired,
        &live,
        "cluster-02 establish peering partner-west cas=0",
    );
    let plan_ = plan(&desired, &live);
    let Object::Peering(peering) = &plan_.changes[0].object else {
        panic!("a peering")
    };
    assert_eq!(
        peering.token_file.as_deref(),
        Some("tokens/partner-west.token")
    );

    for state in ["ESTABLISHING", "ACTIVE"] {
        put_peering(
            &mut live,
            "cluster-02",
            "partner-west",
            (Role::Dialer, state, true),
            8,
        );
        check(&desired, &live, "");
    }
    for state in ["FAILING", "TERMINATED", "DELETING", "PENDING"] {
        put_peering(
            &mut live,
            "cluster-02",
            "partner-west",
            (Role::Dialer, state, true),
            8,
        );
        let plan = plan(&desired, &live);
        assert_eq!(plan.changes.len(), 1, "{state}");
        assert_eq!(plan.changes[0].action, Action::Reestablish, "{state}");
    }
}

#[test]
fn a_managed_peering_no_file_declares_is_deleted_destructively() {
    let desired = workspace(&["cluster-01"]);
    let mut live = live(&["cluster-01"]);
    put_peering(&mut live, "cluster-01", "old", ACTIVE_ACCEPTOR, 3);
    put_peering(
        &mut live,
        "cluster-01",
        "gone",
        (Role::Dialer, "TERMINATED", true),
        4,
    );
    put_peering(
        &mut live,
        "cluster-01",
        "going",
        (Role::Acceptor, "DELETING", true),
        5,
    );
    check(
        &desired,
        &live,
        "cluster-01 delete peering going cas=5
         cluster-01 delete peering gone cas=4
         cluster-01 delete peering old cas=3 destructive",
    );
}

#[test]
fn an_unmanaged_peering_no_file_declares_is_never_touched() {
    let desired = workspace(&["cluster-01"]);
    let mut live = live(&["cluster-01"]);
    put_peering(
        &mut live,
        "cluster-01",
        "theirs",
        (Role::Acceptor, "ACTIVE", false),
        3,
    );
    put_peering(
        &mut live,
        "cluster-01",
        "dead",
        (Role::Dialer, "TERMINATED", false),
        3,
    );
    check(&desired, &live, "");
}

#[test]
fn a_peering_renamed_in_the_files_is_deleted_under_the_old_name_and_established_under_the_new() {
    let mut desired = workspace(&["cluster-01", "cluster-02"]);
    let mut spec = peering("cluster-01", "cluster-02");
    spec.acceptor.peer_name = "east".to_owned();
    desired.peerings.push(spec);
    let (_, live) = both(Some(ACTIVE_ACCEPTOR), Some(ACTIVE_DIALER));
    check(
        &desired,
        &live,
        "cluster-01 re-establish peering east cas=0 why=[cluster-01's side is gone]
         cluster-01 delete peering cluster-02 cas=11 destructive",
    );
}

#[test]
fn a_peering_with_a_side_on_a_cluster_that_was_not_read_is_not_planned() {
    let mut desired = workspace(&["cluster-01", "cluster-02"]);
    desired.peerings.push(peering("cluster-01", "cluster-02"));
    let mut live = live(&["cluster-01"]);
    put_peering(&mut live, "cluster-01", "cluster-02", ACTIVE_ACCEPTOR, 11);
    check(&desired, &live, "");
}

#[test]
fn a_plan_holds_no_token() {
    let mut desired = workspace(&["cluster-01", "cluster-02"]);
    desired
        .peerings
        .push(acceptor_only("cluster-01", "partner-east"));
    desired
        .peerings
        .push(dialer_only("partner-west", "cluster-02"));
    let plan = plan(&desired, &live(&["cluster-01", "cluster-02"]));
    let json = serde_json::to_string(&plan).expect("serializes");
    assert!(!json.to_lowercase().contains("peeringtoken"), "{json}");
    assert!(json.contains("tokens/partner-east.token"));
}

#[test]
fn a_side_that_is_not_active_with_nothing_to_change_is_shown_with_advice() {
    let mut desired = workspace(&["cluster-01"]);
    desired
        .peerings
        .push(acceptor_only("cluster-01", "partner-east"));
    let mut live = live(&["cluster-01"]);
    put_peering(
        &mut live,
        "cluster-01",
        "partner-east",
        (Role::Acceptor, "PENDING", true),
        5,
    );
    let planned = plan(&desired, &live);
    assert!(planned.changes.is_empty() && !planned.has_changes());
    assert_eq!(planned.not_active.len(), 1);
    let side = &planned.not_active[0];
    assert_eq!(
        (
            side.cluster.as_str(),
            side.peering.as_str(),
            side.state.as_str()
        ),
        ("cluster-01", "partner-east", "PENDING")
    );
    assert!(
        side.advice.contains("tokens/partner-east.token"),
        "{}",
        side.advice
    );

    let (desired, live) = both(Some(ACTIVE_ACCEPTOR), Some(ACTIVE_DIALER));
    assert!(plan(&desired, &live).not_active.is_empty());
}

#[test]
fn a_side_with_a_planned_change_is_not_also_shown_as_not_active() {
    let (desired, live) = both(Some(ACTIVE_ACCEPTOR), Some((Role::Dialer, "FAILING", true)));
    let planned = plan(&desired, &live);
    assert_eq!(planned.changes[0].action, Action::Reestablish);
    assert!(planned.not_active.is_empty());
}

/// cluster-01 accepts for partner-east, whose `token_out` file exists or not; the acceptor side
/// as given.
fn acceptor_only_with(token_out_exists: bool, side: (Role, &str, bool)) -> (Desired, Live) {
    let mut desired = workspace(&["cluster-01"]);
    let mut spec = acceptor_only("cluster-01", "partner-east");
    spec.token_out_exists = token_out_exists;
    desired.peerings.push(spec);
    let mut live = live(&["cluster-01"]);
    put_peering(&mut live, "cluster-01", "partner-east", side, 5);
    (desired, live)
}

#[test]
fn a_pending_acceptor_whose_token_file_is_missing_gets_a_new_token() {
    let (desired, live) = acceptor_only_with(false, (Role::Acceptor, "PENDING", true));
    check(
        &desired,
        &live,
        "cluster-01 re-establish peering partner-east cas=5 \
         why=[cluster-01's side is PENDING and its token file tokens/partner-east.token does \
         not exist: generate a new peering token and write it there (the earlier token stops \
         working: its answer was lost before it was written, or the file was removed)]",
    );
    let planned = plan(&desired, &live);
    assert!(planned.has_changes());
    assert!(
        !planned.changes[0].destructive,
        "a PENDING side carries nothing"
    );
    assert!(planned.not_active.is_empty(), "the change says it already");
}

#[test]
fn a_pending_acceptor_whose_token_file_exists_waits_for_the_other_team() {
    let (desired, live) = acceptor_only_with(true, (Role::Acceptor, "PENDING", true));
    check(&desired, &live, "");
    let planned = plan(&desired, &live);
    assert_eq!(planned.not_active.len(), 1);
    assert!(
        planned.not_active[0]
            .advice
            .starts_with("waiting for partner-east"),
        "{}",
        planned.not_active[0].advice
    );
}

#[test]
fn a_missing_token_file_changes_nothing_once_the_peering_was_used() {
    for state in ["ACTIVE", "FAILING"] {
        let (desired, live) = acceptor_only_with(false, (Role::Acceptor, state, true));
        check(&desired, &live, "");
    }
}

#[test]
fn an_adopted_pending_acceptor_never_gets_a_new_token_for_a_missing_file() {
    let (desired, live) = acceptor_only_with(false, (Role::Acceptor, "PENDING", false));
    check(
        &desired,
        &live,
        "cluster-01 adopt peering partner-east cas=5",
    );
    assert_eq!(plan(&desired, &live).not_active.len(), 1);
}

#[test]
fn a_pending_acceptor_whose_dialer_has_no_side_gets_a_new_token() {
    let (desired, live) = both(Some((Role::Acceptor, "PENDING", true)), None);
    check(
        &desired,
        &live,
        "cluster-01 re-establish peering cluster-02 cas=11 \
         why=[cluster-02 has no peering yet and cluster-01's side is PENDING: generate a new \
         peering token and establish with it (the earlier token stops working; it was never \
         used)]",
    );
    assert!(!plan(&desired, &live).changes[0].destructive);
}
