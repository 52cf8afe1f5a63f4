//! What each Consul endpoint needs from the ACL token, so that a 403 can say which permission
//! is likely missing (consul-api.md §4 "ACLs per endpoint", and each config entry kind's
//! `CanRead`/`CanWrite` in Consul's `agent/structs`).
//!
//! Also the other 4xx bodies whose cause is not obvious from Consul's text: a 403 that is not
//! about ACLs at all (an establish with a used peering token, an agent's HTTP allow-list), and
//! Enterprise-only parameters sent to Consul CE.

/// The ACL rule a request is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Access {
    /// `/v1/status/leader`: no ACL.
    None,
    /// `/v1/agent/self`: `agent:read` on the agent's node.
    AgentRead,
    PeeringRead,
    PeeringWrite,
    /// `/v1/health/service/:name`: results are filtered rather than refused.
    HealthRead {
        service: String,
    },
    /// `/v1/session/*`: sessions are created on the agent's node.
    SessionWrite,
    /// The KV key `key` (a lock).
    Key {
        key: String,
        write: bool,
    },
    /// A config entry of `kind` named `name` (`"*"` when listing a kind).
    Entry {
        kind: String,
        name: String,
        write: bool,
    },
}

impl Access {
    /// The permission a token needs for this request, as a policy author would write it.
    pub(crate) fn needs(&self) -> Option<String> {
        match self {
            Self::None => None,
            Self::AgentRead => Some(
                "`agent:read` on this agent's node (`agent \"<node>\" { policy = \"read\" }`)"
                    .into(),
            ),
            Self::PeeringRead => Some("`peering:read` (or `operator:read`)".into()),
            Self::PeeringWrite => Some("`peering:write` (or `operator:write`)".into()),
            Self::HealthRead { service } => {
                Some(format!("`service:read` on `{service}` and `node:read`"))
            }
            Self::SessionWrite => Some(
                "`session:write` on this agent's node (`session_prefix \"\" { policy = \"write\" }`)"
                    .into(),
            ),
            Self::Key { key, write } => {
                let level = if *write { "write" } else { "read" };
                Some(format!("`key:{level}` on `{key}` (`key \"{key}\" {{ policy = \"{level}\" }}`)"))
            }
            Self::Entry { kind, name, write } => Some(entry_needs(kind, name, *write)),
        }
    }
}

/// The rule Consul checks for a config entry of `kind` (its `CanRead`/`CanWrite`).
fn entry_needs(kind: &str, name: &str, write: bool) -> String {
    let level = if write { "write" } else { "read" };
    match kind {
        "service-intentions" if name == "*" => format!(
            "`intentions:{level}` on every service, e.g. `service_prefix \"\" {{ intentions = \"{level}\" }}`"
        ),
        "service-intentions" => format!(
            "`intentions:{level}` on the destination service `{name}` (`service \"{name}\" {{ intentions = \"{level}\" }}`)"
        ),
        "service-defaults" | "service-router" | "service-splitter" | "service-resolver" => {
            let extra = if write && kind != "service-defaults" {
                ", and `service:read` on the services it routes to"
            } else {
                ""
            };
            format!("`service:{level}` on `{name}`{extra}")
        }
        "ingress-gateway" | "terminating-gateway" | "api-gateway" if !write => {
            format!("`service:read` on `{name}`")
        }
        _ => format!("`mesh:{level}` (or `operator:{level}`)"),
    }
}

/// A hint line for an error status, when there is something useful to add to Consul's text.
///
/// `token_origin` says where the token came from (never the token), `None` when none was sent.
pub(crate) fn hint(
    access: &Access,
    status: u16,
    message: &str,
    token_origin: Option<&str>,
) -> Option<String> {
    match status {
        400 => enterprise_hint(message),
        403 => forbidden_hint(access, message, token_origin),
        _ => None,
    }
}

fn enterprise_hint(message: &str) -> Option<String> {
    let enterprise_only = message.contains("Consul Enterprise feature")
        || message.contains("consul enterprise feature");
    enterprise_only.then(|| {
        "this agent is Consul CE: remove `partition` (and `CONSUL_PARTITION`, `CONSUL_NAMESPACE`) \
         for this cluster, and any `Partition`/`Namespace` keys from its config entries"
            .to_owned()
    })
}

fn forbidden_hint(access: &Access, message: &str, token_origin: Option<&str>) -> Option<String> {
    if message.contains("a new peering token must be generated") {
        return Some(
            "this is not an ACL problem: the peering token was already used, or a newer token \
             for the same peering replaced it; generate a new token on the acceptor and establish \
             with that"
                .into(),
        );
    }
    if message.contains("Access is restricted") {
        return Some(
            "this is not an ACL problem: the agent accepts writes only from the addresses in its \
             `http_config.allow_write_http_from`"
                .into(),
        );
    }
    if message.contains("Endpoint is blocked by agent configuration") {
        return Some(
            "this is not an ACL problem: the agent blocks this path with `http_config.block_endpoints`"
                .into(),
        );
    }
    let origin = token_origin.unwrap_or("nowhere: no token was sent");
    if message.contains("ACL not found") {
        return Some(format!(
            "the cluster does not know the ACL token (it came from {origin}): check that it is a \
             token of this cluster and has not been deleted"
        ));
    }
    let needs = access.needs()?;
    let anonymous = token_origin.is_none() || message.contains("anonymous token");
    let advice = if anonymous {
        "; no token was sent, so the anonymous token was used: set `token_env` or `token_file` \
         for this cluster, or CONSUL_HTTP_TOKEN"
    } else {
        ""
    };
    Some(format!(
        "the ACL token (from {origin}) likely lacks {needs}{advice}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: &str, name: &str, write: bool) -> Access {
        Access::Entry {
            kind: kind.into(),
            name: name.into(),
            write,
        }
    }

    const DENIED: &str = "Permission denied: token with AccessorID 'abc' lacks permission 'x'";

    #[test]
    fn exported_services_writes_need_mesh_write() {
        let hint = hint(
            &entry("exported-services", "default", true),
            403,
            DENIED,
            Some("env X"),
        );
        assert!(hint.is_some_and(|h| h.contains("`mesh:write`")));
    }

    #[test]
    fn intentions_need_intentions_permission_on_the_destination() {
        let hint = hint(
            &entry("service-intentions", "web", true),
            403,
            DENIED,
            Some("env X"),
        );
        let hint = hint.unwrap_or_default();
        assert!(
            hint.contains("`intentions:write` on the destination service `web`"),
            "{hint}"
        );
    }

    #[test]
    fn wildcard_intentions_need_the_permission_on_every_service() {
        let hint = hint(
            &entry("service-intentions", "*", false),
            403,
            DENIED,
            Some("env X"),
        );
        assert!(hint.is_some_and(|h| h.contains("service_prefix")));
    }

    #[test]
    fn peering_writes_need_peering_write() {
        let hint = hint(&Access::PeeringWrite, 403, DENIED, Some("env X"));
        assert!(hint.is_some_and(|h| h.contains("`peering:write`")));
    }

    #[test]
    fn a_used_peering_token_is_not_an_acl_problem() {
        let message = "a new peering token must be generated: invalid peering establishment secret";
        let hint = hint(&Access::PeeringWrite, 403, message, Some("env X")).unwrap_or_default();
        assert!(hint.contains("not an ACL problem"), "{hint}");
        assert!(!hint.contains("peering:write"), "{hint}");
    }

    #[test]
    fn an_unknown_token_names_where_it_came_from() {
        let hint = hint(
            &Access::PeeringRead,
            403,
            "ACL not found",
            Some("environment variable `T`"),
        );
        assert!(hint.is_some_and(|h| h.contains("does not know") && h.contains("`T`")));
    }

    #[test]
    fn no_token_suggests_setting_one() {
        let message = "Permission denied: anonymous token lacks permission 'mesh:write'.";
        let hint = hint(&entry("mesh", "mesh", true), 403, message, None).unwrap_or_default();
        assert!(
            hint.contains("anonymous") && hint.contains("token_env"),
            "{hint}"
        );
    }

    #[test]
    fn enterprise_parameters_on_ce_get_a_hint() {
        let message =
            "Invalid query parameter: \"partition\" - Partitions are a Consul Enterprise feature";
        assert!(hint(&Access::PeeringRead, 400, message, None).is_some());
        assert!(hint(&Access::PeeringRead, 400, "Bad request", None).is_none());
    }

    #[test]
    fn other_statuses_get_no_hint() {
        assert_eq!(hint(&Access::PeeringRead, 500, DENIED, None), None);
    }
}
