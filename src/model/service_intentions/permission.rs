//! The L7 part of an intention: HTTP permissions with their path, header and method matches,
//! and the JWT requirements that an entry or a permission can carry. Kept apart from the entry
//! and its sources because it is a self-contained vocabulary with its own rules.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::IntentionAction;
use crate::model::exported_services::{
    non_empty, object_or_singleton, one_or_many, weak_optional_text, weak_text,
};
use crate::model::path::Path;
use crate::model::problem::Problem;
use crate::model::schema::parse_go_bool;

/// One L7 rule of a source: requests matching `HTTP` (and carrying a valid JWT, when `JWT` is
/// set) are allowed or denied. A source's permissions are evaluated in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct IntentionPermission {
    /// `allow` or `deny` the requests this permission matches. Required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<IntentionAction>,
    /// Which HTTP requests the permission matches. Required.
    #[serde(
        rename = "HTTP",
        default,
        deserialize_with = "object_or_singleton",
        skip_serializing_if = "Option::is_none"
    )]
    pub http: Option<IntentionHttpPermission>,
    /// JSON Web Token requirements for the requests this permission matches. Each provider must
    /// exist as a `jwt-provider` config entry.
    #[serde(
        rename = "JWT",
        default,
        deserialize_with = "object_or_singleton",
        skip_serializing_if = "Option::is_none"
    )]
    pub jwt: Option<IntentionJwtRequirement>,
}

/// An HTTP request match: at most one path match, plus header and method matches; all given
/// matches must hold. It must not be empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct IntentionHttpPermission {
    /// Matches a request path exactly; must start with `/`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "weak_optional_text"
    )]
    pub path_exact: Option<String>,
    /// Matches a request path by prefix; must start with `/`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "weak_optional_text"
    )]
    pub path_prefix: Option<String>,
    /// Matches a request path by regular expression (Envoy's RE2 syntax).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "weak_optional_text"
    )]
    pub path_regex: Option<String>,
    /// Header matches; all must hold.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub header: Vec<IntentionHttpHeaderPermission>,
    /// HTTP methods the request may use (`GET`, `POST`, ...); any method when empty. Consul
    /// stores them uppercase.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub methods: Vec<String>,
}

/// A match on one request header: `Name` and exactly one of `Present`, `Exact`, `Prefix`,
/// `Suffix`, `Contains` or `Regex`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct IntentionHttpHeaderPermission {
    /// The header's name.
    #[serde(deserialize_with = "weak_text")]
    pub name: String,
    /// Matches when the header is present, whatever its value.
    #[serde(
        default,
        deserialize_with = "weak_bool",
        skip_serializing_if = "is_false"
    )]
    pub present: bool,
    /// Matches the header's value exactly.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "weak_optional_text"
    )]
    pub exact: Option<String>,
    /// Matches the header's value by prefix.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "weak_optional_text"
    )]
    pub prefix: Option<String>,
    /// Matches the header's value by suffix.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "weak_optional_text"
    )]
    pub suffix: Option<String>,
    /// Matches when the header's value contains this text.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "weak_optional_text"
    )]
    pub contains: Option<String>,
    /// Matches the header's value by regular expression (Envoy's RE2 syntax).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "weak_optional_text"
    )]
    pub regex: Option<String>,
    /// Inverts the match: the permission applies when the header does not match.
    #[serde(
        default,
        deserialize_with = "weak_bool",
        skip_serializing_if = "is_false"
    )]
    pub invert: bool,
    /// Compares case-insensitively; only with `Exact`, `Prefix`, `Suffix` or `Contains`.
    #[serde(
        default,
        deserialize_with = "weak_bool",
        skip_serializing_if = "is_false"
    )]
    pub ignore_case: bool,
}

/// JSON Web Token requirements: a request must carry a token valid for one of the providers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct IntentionJwtRequirement {
    /// The providers to verify tokens with; each names a `jwt-provider` config entry.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub providers: Vec<IntentionJwtProvider>,
}

/// One JWT provider to verify tokens with, and claims the token must carry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct IntentionJwtProvider {
    /// The name of a `jwt-provider` config entry; Consul refuses the write if it does not exist.
    #[serde(deserialize_with = "weak_text")]
    pub name: String,
    /// Claims the token's payload must carry, in addition to the provider's own checks.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub verify_claims: Vec<IntentionJwtClaimVerification>,
}

/// A claim the token must carry: the value at `Path` equals `Value` (or, for a list, contains
/// it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct IntentionJwtClaimVerification {
    /// The path to the claim in the token's JSON payload, one key per element
    /// (`["perms", "role"]`).
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub path: Vec<String>,
    /// The value expected at `Path`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "weak_optional_text"
    )]
    pub value: Option<String>,
}

/// A flag as Consul's decoder reads it (mapstructure, weakly typed): a bool, a string Go's
/// `strconv.ParseBool` takes (`"true"`, `"1"`, `"F"`, ...) or the empty string (false), or a
/// number (true unless zero). Consul stores the bool, so a file saying `Present = "true"` and the
/// entry Consul made of it compare equal.
fn weak_bool<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    use serde::de::{Error, Unexpected};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Text(String),
        Number(f64),
    }
    match Flag::deserialize(deserializer) {
        Ok(Flag::Bool(flag)) => Ok(flag),
        Ok(Flag::Text(text)) if text.is_empty() => Ok(false),
        Ok(Flag::Text(text)) => parse_go_bool(&text).ok_or_else(|| {
            D::Error::invalid_value(
                Unexpected::Str(&text),
                &"a boolean (true, false, 1, 0, t, f)",
            )
        }),
        Ok(Flag::Number(number)) => Ok(number != 0.0),
        Err(_) => Err(D::Error::custom(
            "invalid type: expected a boolean (or a string or number Consul reads as one)",
        )),
    }
}

/// Whether a flag is off; Consul omits such flags, so meshplan does too.
fn is_false(flag: &bool) -> bool {
    !flag
}

/// The methods Consul accepts (Go's `net/http` method constants).
const HTTP_METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE",
];

impl IntentionPermission {
    pub(super) fn problems(&self, path: &Path) -> Vec<Problem> {
        let mut problems = Vec::new();
        if self.action.is_none() {
            problems.push(
                Problem::value(path.clone(), "Action must be set to 'allow' or 'deny'")
                    .with_help(r#"add Action = "allow" or Action = "deny""#),
            );
        }
        match &self.http {
            Some(http) => problems.extend(http.problems(&path.key("HTTP"))),
            None => problems.push(
                Problem::value(path.clone(), "HTTP is required")
                    .with_help(r#"add an HTTP match, such as HTTP = { PathPrefix = "/" }"#),
            ),
        }
        if let Some(jwt) = &self.jwt {
            problems.extend(jwt.problems(&path.key("JWT")));
        }
        problems
    }
}

impl IntentionHttpPermission {
    fn problems(&self, path: &Path) -> Vec<Problem> {
        let mut problems = self.path_problems(path);
        for (k, header) in self.header.iter().enumerate() {
            problems.extend(header.problems(&path.key("Header").index(k)));
        }
        problems.extend(self.method_problems(path));
        if self.paths().next().is_none() && self.header.is_empty() && self.methods.is_empty() {
            problems.push(
                Problem::value(path.clone(), "HTTP should not be empty")
                    .with_help("match on a path, a header or a method"),
            );
        }
        problems
    }

    /// The path matches that are set, by field name.
    fn paths(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("PathExact", &self.path_exact),
            ("PathPrefix", &self.path_prefix),
            ("PathRegex", &self.path_regex),
        ]
        .into_iter()
        .filter_map(|(key, value)| non_empty(value).map(|value| (key, value)))
    }

    fn path_problems(&self, path: &Path) -> Vec<Problem> {
        let mut problems: Vec<Problem> = self
            .paths()
            .filter(|(key, value)| *key != "PathRegex" && !value.starts_with('/'))
            .map(|(key, value)| {
                Problem::value(
                    path.key(key),
                    format!("{key} doesn't start with '/': {value:?}"),
                )
                .with_help(format!("use {:?}", format!("/{value}")))
            })
            .collect();
        if self.paths().count() > 1 {
            problems.push(
                Problem::value(
                    path.clone(),
                    "should only contain at most one of PathExact, PathPrefix, or PathRegex",
                )
                .with_help("split it into one permission for each path match"),
            );
        }
        problems
    }

    /// Consul uppercases methods before checking them, so `get` is fine and `get` with `GET` is
    /// a repeat.
    fn method_problems(&self, path: &Path) -> Vec<Problem> {
        let mut seen = Vec::new();
        let mut problems = Vec::new();
        for (m, method) in self.methods.iter().enumerate() {
            let upper = method.to_uppercase();
            let at = path.key("Methods").index(m);
            if !HTTP_METHODS.contains(&upper.as_str()) {
                problems.push(
                    Problem::value(at, format!("Methods contains an invalid method {upper:?}"))
                        .with_help(format!("use one of {}", HTTP_METHODS.join(", "))),
                );
            } else if seen.contains(&upper) {
                problems.push(
                    Problem::value(at, format!("Methods contains {upper:?} more than once"))
                        .with_help("remove the repeated method"),
                );
            } else {
                seen.push(upper);
            }
        }
        problems
    }
}

impl IntentionHttpHeaderPermission {
    fn problems(&self, path: &Path) -> Vec<Problem> {
        let mut problems = Vec::new();
        if self.name.is_empty() {
            problems.push(Problem::value(
                path.key("Name"),
                "missing required Name field",
            ));
        }
        let value_matchers = [
            &self.exact,
            &self.prefix,
            &self.suffix,
            &self.contains,
            &self.regex,
        ];
        let matchers = usize::from(self.present)
            + value_matchers
                .iter()
                .filter(|v| non_empty(v).is_some())
                .count();
        if matchers != 1 {
            problems.push(
                Problem::value(
                    path.clone(),
                    "should only contain one of Present, Exact, Prefix, Suffix, Contains, or Regex",
                )
                .with_help("use one header match for each condition"),
            );
        }
        if self.ignore_case && (self.present || non_empty(&self.regex).is_some()) {
            problems.push(
                Problem::key(
                    path.key("IgnoreCase"),
                    "should set one of Exact, Prefix, Suffix, or Contains when using IgnoreCase",
                )
                .with_help("remove IgnoreCase; a Regex can match case-insensitively with (?i)"),
            );
        }
        problems
    }
}

impl IntentionJwtRequirement {
    pub(super) fn problems(&self, path: &Path) -> Vec<Problem> {
        let providers = self.providers.iter().enumerate();
        let unnamed = providers.filter(|(_, provider)| provider.name.is_empty());
        unnamed
            .map(|(i, _)| {
                Problem::value(
                    path.key("Providers").index(i).key("Name"),
                    "JWT provider name is required",
                )
                .with_help("name a jwt-provider config entry")
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn problems(permission: serde_json::Value) -> Vec<Problem> {
        let permission: IntentionPermission =
            serde_json::from_value(permission).expect("valid permission");
        permission.problems(&Path::root().key("Permissions").index(0))
    }

    fn paths(problems: &[Problem]) -> Vec<String> {
        problems
            .iter()
            .map(|problem| problem.path.to_string())
            .collect()
    }

    #[test]
    fn header_flags_are_read_as_consul_reads_them() {
        let header = |flag: serde_json::Value| {
            serde_json::from_value::<IntentionHttpHeaderPermission>(
                json!({ "Name": "x", "Present": flag }),
            )
            .map(|header| header.present)
            .map_err(|error| error.to_string())
        };
        for (flag, read) in [
            (json!(true), true),
            (json!("true"), true),
            (json!("T"), true),
            (json!("1"), true),
            (json!(2), true),
            (json!("False"), false),
            (json!("0"), false),
            (json!(""), false),
            (json!(0), false),
        ] {
            assert_eq!(header(flag.clone()), Ok(read), "{flag}");
        }
        let refused = header(json!("yes")).unwrap_err();
        assert!(
            refused.contains("invalid value: string \"yes\""),
            "{refused}"
        );
        assert!(header(json!([true])).is_err());
    }

    #[test]
    fn action_and_http_are_required() {
        let found = problems(json!({}));
        assert_eq!(paths(&found), ["Permissions[0]", "Permissions[0]"]);
        assert_eq!(found[0].message, "Action must be set to 'allow' or 'deny'");
        assert_eq!(found[1].message, "HTTP is required");
    }

    #[test]
    fn http_must_not_be_empty() {
        let found = problems(json!({ "Action": "allow", "HTTP": { "PathExact": "" } }));
        assert_eq!(paths(&found), ["Permissions[0].HTTP"]);
        assert_eq!(found[0].message, "HTTP should not be empty");
    }

    #[test]
    fn paths_start_with_a_slash_and_only_one_is_allowed() {
        let found = problems(json!({
            "Action": "allow",
            "HTTP": { "PathExact": "a", "PathPrefix": "b", "PathRegex": "c.*" }
        }));
        assert_eq!(
            paths(&found),
            [
                "Permissions[0].HTTP.PathExact",
                "Permissions[0].HTTP.PathPrefix",
                "Permissions[0].HTTP"
            ]
        );
        assert_eq!(found[0].message, r#"PathExact doesn't start with '/': "a""#);
        assert_eq!(found[0].help.as_deref(), Some(r#"use "/a""#));
        assert_eq!(
            found[2].message,
            "should only contain at most one of PathExact, PathPrefix, or PathRegex"
        );
    }

    #[test]
    fn each_header_needs_a_name_and_exactly_one_match() {
        let found = problems(json!({ "Action": "allow", "HTTP": { "Header": [
            { "Name": "", "Exact": "x" },
            { "Name": "a" },
            { "Name": "b", "Present": true, "Suffix": "x" },
            { "Name": "c", "Contains": "x", "IgnoreCase": true }
        ] } }));
        assert_eq!(
            paths(&found),
            [
                "Permissions[0].HTTP.Header[0].Name",
                "Permissions[0].HTTP.Header[1]",
                "Permissions[0].HTTP.Header[2]"
            ]
        );
        assert_eq!(found[0].message, "missing required Name field");
        assert_eq!(
            found[1].message,
            "should only contain one of Present, Exact, Prefix, Suffix, Contains, or Regex"
        );
    }

    #[test]
    fn ignore_case_only_goes_with_value_matches() {
        let found = problems(json!({ "Action": "allow", "HTTP": { "Header": [
            { "Name": "a", "Present": true, "IgnoreCase": true },
            { "Name": "b", "Regex": "x", "IgnoreCase": true }
        ] } }));
        assert_eq!(
            paths(&found),
            [
                "Permissions[0].HTTP.Header[0].IgnoreCase",
                "Permissions[0].HTTP.Header[1].IgnoreCase"
            ]
        );
        assert!(found.iter().all(|problem| problem.at_key));
        assert_eq!(
            found[0].message,
            "should set one of Exact, Prefix, Suffix, or Contains when using IgnoreCase"
        );
    }

    #[test]
    fn methods_are_checked_case_insensitively_and_not_repeated() {
        let found = problems(
            json!({ "Action": "allow", "HTTP": { "Methods": ["get", "FETCH", "GET", "Post"] } }),
        );
        assert_eq!(
            paths(&found),
            [
                "Permissions[0].HTTP.Methods[1]",
                "Permissions[0].HTTP.Methods[2]"
            ]
        );
        assert_eq!(
            found[0].message,
            r#"Methods contains an invalid method "FETCH""#
        );
        assert_eq!(found[1].message, r#"Methods contains "GET" more than once"#);
    }

    #[test]
    fn jwt_providers_need_a_name() {
        let found = problems(json!({
            "Action": "allow", "HTTP": { "PathPrefix": "/" },
            "JWT": { "Providers": [{ "Name": "okta" }, { "Name": "" }] }
        }));
        assert_eq!(paths(&found), ["Permissions[0].JWT.Providers[1].Name"]);
        assert_eq!(found[0].message, "JWT provider name is required");
    }

    #[test]
    fn false_flags_and_empty_lists_are_not_serialized() {
        let header = IntentionHttpHeaderPermission {
            name: "x".to_owned(),
            present: true,
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(header).expect("json"),
            json!({ "Name": "x", "Present": true })
        );
    }
}
