//! The order of changes: peerings, entry writes with dependencies first (intentions losing L7
//! permissions, deleted ones included, before any protocol change), entry deletes in reverse,
//! peering deletes; stable within each step.

use serde_json::json;

use super::*;

fn l7_intentions(name: &str) -> Value {
    json!({ "Kind": "service-intentions", "Name": name, "Sources": [
        { "Name": "api", "Permissions": [{ "Action": "allow", "HTTP": { "PathPrefix": "/" } }] }
    ] })
}

fn l4_intentions(name: &str) -> Value {
    json!({ "Kind": "service-intentions", "Name": name,
        "Sources": [{ "Name": "api", "Action": "allow" }] })
}

fn defaults(name: &str, protocol: &str) -> Value {
    json!({ "Kind": "service-defaults", "Name": name, "Protocol": protocol })
}

#[test]
fn peerings_come_first_then_dependencies_then_deletes_in_reverse() {
    let mut desired = workspace(&["cluster-01", "cluster-02"]);
    desired.peerings.push(peering("cluster-01", "cluster-02"));
    declare(
        &mut desired,
        "cluster-01",
        json!({ "Kind": "exported-services", "Name": "default",
        "Services": [{ "Name": "web", "Consumers": [{ "Peer": "cluster-02" }] }] }),
    );
    declare(&mut desired, "cluster-01", l7_intentions("web"));
    declare(&mut desired, "cluster-01", defaults("web", "http"));
    declare(
        &mut desired,
        "cluster-01",
        json!({ "Kind": "proxy-defaults", "Name": "global" ,
        "Config": { "protocol": "http" } }),
    );
    declare(
        &mut desired,
        "cluster-01",
        json!({ "Kind": "jwt-provider", "Name": "okta",
        "Issuer": "https://okta" }),
    );
    declare(&mut desired, "cluster-02", l4_intentions("api"));
    let mut live = live(&["cluster-01", "cluster-02"]);
    put_live(&mut live, "cluster-02", marked(l7_intentions("old")), 40);
    put_live(&mut live, "cluster-02", marked(defaults("old", "http")), 41);
    put_live(
        &mut live,
        "cluster-02",
        marked(json!({ "Kind": "jwt-provider", "Name": "old" })),
        42,
    );
    put_peering(
        &mut live,
        "cluster-02",
        "retired",
        (Role::Dialer, "ACTIVE", true),
        43,
    );
    check(
        &desired,
        &live,
        "cluster-01 establish peering cluster-02 cas=0
         cluster-01 create jwt-provider/okta cas=0
         cluster-01 create proxy-defaults/global cas=0
         cluster-01 create service-defaults/web cas=0
         cluster-01 create service-intentions/web cas=0
         cluster-01 create exported-services/default cas=0
         cluster-02 delete service-intentions/old cas=40
         cluster-02 create service-intentions/api cas=0
         cluster-02 delete service-defaults/old cas=41
         cluster-02 delete jwt-provider/old cas=42
         cluster-02 delete peering retired cas=43 destructive",
    );
}

#[test]
fn intentions_that_drop_l7_go_before_the_protocol_change() {
    let mut desired = workspace(&["cluster-01"]);
    declare(&mut desired, "cluster-01", l4_intentions("web"));
    declare(&mut desired, "cluster-01", defaults("web", "tcp"));
    let mut live = live(&["cluster-01"]);
    put_live(&mut live, "cluster-01", marked(l7_intentions("web")), 5);
    put_live(&mut live, "cluster-01", marked(defaults("web", "http")), 6);
    check(
        &desired,
        &live,
        "cluster-01 update service-intentions/web cas=5 changed=[Sources[0].Permissions, Sources[0].Action]
         cluster-01 update service-defaults/web cas=6 changed=[Protocol]",
    );
}

#[test]
fn the_order_does_not_depend_on_the_input_order() {
    let build = |reverse: bool| {
        let mut names = vec!["a", "b", "c", "d"];
        if reverse {
            names.reverse();
        }
        let mut desired = workspace(&["cluster-01", "cluster-02"]);
        let mut live = live(&["cluster-01", "cluster-02"]);
        for name in names {
            declare(&mut desired, "cluster-02", l4_intentions(name));
            declare(&mut desired, "cluster-01", defaults(name, "http"));
            put_live(&mut live, "cluster-01", marked(l4_intentions(name)), 1);
        }
        plan(&desired, &live)
    };
    assert_eq!(build(false), build(true));
}
