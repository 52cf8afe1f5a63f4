//! The table itself: one constant per Go struct of Consul 1.22.7's `agent/structs`, named after
//! it (see the parent module for where it comes from and how it is kept true).

use super::{Field, Ty, field};

/// `TransparentProxyConfig`.
const TRANSPARENT_PROXY_CONFIG: &[Field] = &[
    field("OutboundListenerPort", &["outbound_listener_port"], Ty::Int),
    field("DialedDirectly", &["dialed_directly"], Ty::Bool),
];

/// `MeshGatewayConfig`.
const MESH_GATEWAY_CONFIG: &[Field] = &[field("Mode", &[], Ty::Str)];

/// `ExposePath`.
const EXPOSE_PATH: &[Field] = &[
    field("ListenerPort", &["listener_port"], Ty::Int),
    field("Path", &[], Ty::Str),
    field("LocalPathPort", &["local_path_port"], Ty::Int),
    field("Protocol", &[], Ty::Str),
    field("ParsedFromCheck", &["parsed_from_check"], Ty::Bool),
];

/// `ExposeConfig`.
const EXPOSE_CONFIG: &[Field] = &[
    field("Checks", &[], Ty::Bool),
    field("Paths", &[], Ty::List(&Ty::Struct(EXPOSE_PATH))),
];

/// `UpstreamLimits`.
const UPSTREAM_LIMITS: &[Field] = &[
    field("MaxConnections", &["max_connections"], Ty::Int),
    field("MaxPendingRequests", &["max_pending_requests"], Ty::Int),
    field(
        "MaxConcurrentRequests",
        &["max_concurrent_requests"],
        Ty::Int,
    ),
];

/// `PassiveHealthCheck`.
const PASSIVE_HEALTH_CHECK: &[Field] = &[
    field("Interval", &[], Ty::Duration),
    field("MaxFailures", &["max_failures"], Ty::Int),
    field(
        "EnforcingConsecutive5xx",
        &["enforcing_consecutive_5xx"],
        Ty::Int,
    ),
    field("MaxEjectionPercent", &["max_ejection_percent"], Ty::Int),
    field("BaseEjectionTime", &["base_ejection_time"], Ty::Duration),
];

/// `UpstreamConfig`.
const UPSTREAM_CONFIG: &[Field] = &[
    field("Name", &[], Ty::Str),
    field("Namespace", &[], Ty::Str),
    field("Partition", &[], Ty::Str),
    field("Peer", &[], Ty::Str),
    field("EnvoyListenerJSON", &["envoy_listener_json"], Ty::Str),
    field("EnvoyClusterJSON", &["envoy_cluster_json"], Ty::Str),
    field("Protocol", &[], Ty::Str),
    field("ConnectTimeoutMs", &["connect_timeout_ms"], Ty::Int),
    field("Limits", &[], Ty::Struct(UPSTREAM_LIMITS)),
    field(
        "PassiveHealthCheck",
        &["passive_health_check"],
        Ty::Struct(PASSIVE_HEALTH_CHECK),
    ),
    field(
        "MeshGateway",
        &["mesh_gateway"],
        Ty::Struct(MESH_GATEWAY_CONFIG),
    ),
    field(
        "BalanceOutboundConnections",
        &["balance_outbound_connections"],
        Ty::Str,
    ),
];

/// `UpstreamConfiguration`.
const UPSTREAM_CONFIGURATION: &[Field] = &[
    field("Overrides", &[], Ty::List(&Ty::Struct(UPSTREAM_CONFIG))),
    field("Defaults", &[], Ty::Struct(UPSTREAM_CONFIG)),
];

/// `DestinationConfig`.
const DESTINATION_CONFIG: &[Field] = &[
    field("Addresses", &[], Ty::List(&Ty::Str)),
    field("Port", &[], Ty::Int),
];

/// `InstanceLevelRouteRateLimits`.
const INSTANCE_LEVEL_ROUTE_RATE_LIMITS: &[Field] = &[
    field("PathExact", &["path_exact"], Ty::Str),
    field("PathPrefix", &["path_prefix"], Ty::Str),
    field("PathRegex", &["path_regex"], Ty::Str),
    field("RequestsPerSecond", &["requests_per_second"], Ty::Int),
    field("RequestsMaxBurst", &["requests_max_burst"], Ty::Int),
];

/// `InstanceLevelRateLimits`.
const INSTANCE_LEVEL_RATE_LIMITS: &[Field] = &[
    field("RequestsPerSecond", &["requests_per_second"], Ty::Int),
    field("RequestsMaxBurst", &["requests_max_burst"], Ty::Int),
    field(
        "Routes",
        &[],
        Ty::List(&Ty::Struct(INSTANCE_LEVEL_ROUTE_RATE_LIMITS)),
    ),
];

/// `RateLimits`.
const RATE_LIMITS: &[Field] = &[field(
    "InstanceLevel",
    &["instance_level"],
    Ty::Struct(INSTANCE_LEVEL_RATE_LIMITS),
)];

/// `EnvoyExtension`.
const ENVOY_EXTENSION: &[Field] = &[
    field("Name", &[], Ty::Str),
    field("Required", &[], Ty::Bool),
    field("Arguments", &[], Ty::Opaque),
    field("ConsulVersion", &[], Ty::Str),
    field("EnvoyVersion", &[], Ty::Str),
];

/// `ServiceConfigEntry`.
const SERVICE_CONFIG_ENTRY: &[Field] = &[
    field("Kind", &[], Ty::Str),
    field("Name", &[], Ty::Str),
    field("Protocol", &[], Ty::Str),
    field("Mode", &[], Ty::Str),
    field(
        "TransparentProxy",
        &["transparent_proxy"],
        Ty::Struct(TRANSPARENT_PROXY_CONFIG),
    ),
    field("MutualTLSMode", &["mutual_tls_mode"], Ty::Str),
    field(
        "MeshGateway",
        &["mesh_gateway"],
        Ty::Struct(MESH_GATEWAY_CONFIG),
    ),
    field("Expose", &[], Ty::Struct(EXPOSE_CONFIG)),
    field("ExternalSNI", &["external_sni"], Ty::Str),
    field(
        "UpstreamConfig",
        &["upstream_config"],
        Ty::Struct(UPSTREAM_CONFIGURATION),
    ),
    field("Destination", &[], Ty::Struct(DESTINATION_CONFIG)),
    field(
        "MaxInboundConnections",
        &["max_inbound_connections"],
        Ty::Int,
    ),
    field(
        "LocalConnectTimeoutMs",
        &["local_connect_timeout_ms"],
        Ty::Int,
    ),
    field(
        "LocalRequestTimeoutMs",
        &["local_request_timeout_ms"],
        Ty::Int,
    ),
    field(
        "BalanceInboundConnections",
        &["balance_inbound_connections"],
        Ty::Str,
    ),
    field("RateLimits", &["rate_limits"], Ty::Struct(RATE_LIMITS)),
    field(
        "EnvoyExtensions",
        &["envoy_extensions"],
        Ty::List(&Ty::Struct(ENVOY_EXTENSION)),
    ),
    field("Meta", &[], Ty::Map(&Ty::Str)),
    field("Hash", &[], Ty::Int),
    field("Namespace", &[], Ty::Str),
    field("Partition", &[], Ty::Str),
    field("CreateIndex", &[], Ty::Int),
    field("ModifyIndex", &[], Ty::Int),
    field("MaxRequestHeadersKB", &[], Ty::Int),
];

/// `AccessLogsConfig`.
const ACCESS_LOGS_CONFIG: &[Field] = &[
    field("Enabled", &["enabled"], Ty::Bool),
    field("DisableListenerLogs", &["disable_listener_logs"], Ty::Bool),
    field("Type", &["type"], Ty::Str),
    field("Path", &["path"], Ty::Str),
    field("JSONFormat", &["json_format"], Ty::Str),
    field("TextFormat", &["text_format"], Ty::Str),
];

/// `ServiceResolverFailoverPolicy`.
const SERVICE_RESOLVER_FAILOVER_POLICY: &[Field] = &[
    field("Mode", &[], Ty::Str),
    field("Regions", &[], Ty::List(&Ty::Str)),
];

/// `ServiceResolverPrioritizeByLocality`.
const SERVICE_RESOLVER_PRIORITIZE_BY_LOCALITY: &[Field] = &[field("Mode", &[], Ty::Str)];

/// `ProxyConfigEntry`.
const PROXY_CONFIG_ENTRY: &[Field] = &[
    field("Kind", &[], Ty::Str),
    field("Name", &[], Ty::Str),
    field("Config", &[], Ty::Opaque),
    field("Protocol", &[], Ty::Str),
    field("Mode", &[], Ty::Str),
    field(
        "TransparentProxy",
        &["transparent_proxy"],
        Ty::Struct(TRANSPARENT_PROXY_CONFIG),
    ),
    field("MutualTLSMode", &["mutual_tls_mode"], Ty::Str),
    field(
        "MeshGateway",
        &["mesh_gateway"],
        Ty::Struct(MESH_GATEWAY_CONFIG),
    ),
    field("Expose", &[], Ty::Struct(EXPOSE_CONFIG)),
    field(
        "AccessLogs",
        &["access_logs"],
        Ty::Struct(ACCESS_LOGS_CONFIG),
    ),
    field(
        "EnvoyExtensions",
        &["envoy_extensions"],
        Ty::List(&Ty::Struct(ENVOY_EXTENSION)),
    ),
    field(
        "FailoverPolicy",
        &["failover_policy"],
        Ty::Struct(SERVICE_RESOLVER_FAILOVER_POLICY),
    ),
    field(
        "PrioritizeByLocality",
        &["prioritize_by_locality"],
        Ty::Struct(SERVICE_RESOLVER_PRIORITIZE_BY_LOCALITY),
    ),
    field("Meta", &[], Ty::Map(&Ty::Str)),
    field("Hash", &[], Ty::Int),
    field("Namespace", &[], Ty::Str),
    field("Partition", &[], Ty::Str),
    field("CreateIndex", &[], Ty::Int),
    field("ModifyIndex", &[], Ty::Int),
];

/// `ServiceRouteHTTPMatchHeader`.
const SERVICE_ROUTE_HTTP_MATCH_HEADER: &[Field] = &[
    field("Name", &[], Ty::Str),
    field("Present", &[], Ty::Bool),
    field("Exact", &[], Ty::Str),
    field("Prefix", &[], Ty::Str),
    field("Suffix", &[], Ty::Str),
    field("Regex", &[], Ty::Str),
    field("Invert", &[], Ty::Bool),
];

/// `ServiceRouteHTTPMatchQueryParam`.
const SERVICE_ROUTE_HTTP_MATCH_QUERY_PARAM: &[Field] = &[
    field("Name", &[], Ty::Str),
    field("Present", &[], Ty::Bool),
    field("Exact", &[], Ty::Str),
    field("Regex", &[], Ty::Str),
];

/// `ServiceRouteHTTPMatch`.
const SERVICE_ROUTE_HTTP_MATCH: &[Field] = &[
    field("PathExact", &["path_exact"], Ty::Str),
    field("PathPrefix", &["path_prefix"], Ty::Str),
    field("PathRegex", &["path_regex"], Ty::Str),
    field("CaseInsensitive", &["case_insensitive"], Ty::Bool),
    field(
        "Header",
        &[],
        Ty::List(&Ty::Struct(SERVICE_ROUTE_HTTP_MATCH_HEADER)),
    ),
    field(
        "QueryParam",
        &["query_param"],
        Ty::List(&Ty::Struct(SERVICE_ROUTE_HTTP_MATCH_QUERY_PARAM)),
    ),
    field("Methods", &[], Ty::List(&Ty::Str)),
];

/// `ServiceRouteMatch`.
const SERVICE_ROUTE_MATCH: &[Field] = &[field("HTTP", &[], Ty::Struct(SERVICE_ROUTE_HTTP_MATCH))];

/// `HTTPHeaderModifiers`.
const HTTP_HEADER_MODIFIERS: &[Field] = &[
    field("Add", &[], Ty::Map(&Ty::Str)),
    field("Set", &[], Ty::Map(&Ty::Str)),
    field("Remove", &[], Ty::List(&Ty::Str)),
];

/// `ServiceRouteDestination`.
const SERVICE_ROUTE_DESTINATION: &[Field] = &[
    field("Service", &[], Ty::Str),
    field("ServiceSubset", &["service_subset"], Ty::Str),
    field("Namespace", &[], Ty::Str),
    field("Partition", &[], Ty::Str),
    field("PrefixRewrite", &["prefix_rewrite"], Ty::Str),
    field("RequestTimeout", &["request_timeout"], Ty::Duration),
    field("IdleTimeout", &["idle_timeout"], Ty::Duration),
    field("NumRetries", &["num_retries"], Ty::Int),
    field(
        "RetryOnConnectFailure",
        &["retry_on_connect_failure"],
        Ty::Bool,
    ),
    field("RetryOn", &["retry_on"], Ty::List(&Ty::Str)),
    field(
        "RetryOnStatusCodes",
        &["retry_on_status_codes"],
        Ty::List(&Ty::Int),
    ),
    field(
        "RequestHeaders",
        &["request_headers"],
        Ty::Struct(HTTP_HEADER_MODIFIERS),
    ),
    field(
        "ResponseHeaders",
        &["response_headers"],
        Ty::Struct(HTTP_HEADER_MODIFIERS),
    ),
];

/// `ServiceRoute`.
const SERVICE_ROUTE: &[Field] = &[
    field("Match", &[], Ty::Struct(SERVICE_ROUTE_MATCH)),
    field("Destination", &[], Ty::Struct(SERVICE_ROUTE_DESTINATION)),
];

/// `ServiceRouterConfigEntry`.
const SERVICE_ROUTER_CONFIG_ENTRY: &[Field] = &[
    field("Kind", &[], Ty::Str),
    field("Name", &[], Ty::Str),
    field("Routes", &[], Ty::List(&Ty::Struct(SERVICE_ROUTE))),
    field("Meta", &[], Ty::Map(&Ty::Str)),
    field("Hash", &[], Ty::Int),
    field("Namespace", &[], Ty::Str),
    field("Partition", &[], Ty::Str),
    field("CreateIndex", &[], Ty::Int),
    field("ModifyIndex", &[], Ty::Int),
];

/// `ServiceSplit`.
const SERVICE_SPLIT: &[Field] = &[
    field("Weight", &[], Ty::Float),
    field("Service", &[], Ty::Str),
    field("ServiceSubset", &["service_subset"], Ty::Str),
    field("Namespace", &[], Ty::Str),
    field("Partition", &[], Ty::Str),
    field(
        "RequestHeaders",
        &["request_headers"],
        Ty::Struct(HTTP_HEADER_MODIFIERS),
    ),
    field(
        "ResponseHeaders",
        &["response_headers"],
        Ty::Struct(HTTP_HEADER_MODIFIERS),
    ),
];

/// `ServiceSplitterConfigEntry`.
const SERVICE_SPLITTER_CONFIG_ENTRY: &[Field] = &[
    field("Kind", &[], Ty::Str),
    field("Name", &[], Ty::Str),
    field("Splits", &[], Ty::List(&Ty::Struct(SERVICE_SPLIT))),
    field("Meta", &[], Ty::Map(&Ty::Str)),
    field("Hash", &[], Ty::Int),
    field("Namespace", &[], Ty::Str),
    field("Partition", &[], Ty::Str),
    field("CreateIndex", &[], Ty::Int),
    field("ModifyIndex", &[], Ty::Int),
];

/// `ServiceResolverSubset`.
const SERVICE_RESOLVER_SUBSET: &[Field] = &[
    field("Filter", &[], Ty::Str),
    field("OnlyPassing", &["only_passing"], Ty::Bool),
];

/// `ServiceResolverRedirect`.
const SERVICE_RESOLVER_REDIRECT: &[Field] = &[
    field("Service", &[], Ty::Str),
    field("ServiceSubset", &["service_subset"], Ty::Str),
    field("Namespace", &[], Ty::Str),
    field("Partition", &[], Ty::Str),
    field("Datacenter", &[], Ty::Str),
    field("Peer", &[], Ty::Str),
    field("SamenessGroup", &[], Ty::Str),
];

/// `ServiceResolverFailoverTarget`.
const SERVICE_RESOLVER_FAILOVER_TARGET: &[Field] = &[
    field("Service", &[], Ty::Str),
    field("ServiceSubset", &["service_subset"], Ty::Str),
    field("Partition", &[], Ty::Str),
    field("Namespace", &[], Ty::Str),
    field("Datacenter", &[], Ty::Str),
    field("Peer", &[], Ty::Str),
];

/// `ServiceResolverFailover`.
const SERVICE_RESOLVER_FAILOVER: &[Field] = &[
    field("Service", &[], Ty::Str),
    field("ServiceSubset", &["service_subset"], Ty::Str),
    field("Namespace", &[], Ty::Str),
    field("Datacenters", &[], Ty::List(&Ty::Str)),
    field(
        "Targets",
        &[],
        Ty::List(&Ty::Struct(SERVICE_RESOLVER_FAILOVER_TARGET)),
    ),
    field("Policy", &[], Ty::Struct(SERVICE_RESOLVER_FAILOVER_POLICY)),
    field("SamenessGroup", &[], Ty::Str),
];

/// `RingHashConfig`.
const RING_HASH_CONFIG: &[Field] = &[
    field("MinimumRingSize", &["minimum_ring_size"], Ty::Int),
    field("MaximumRingSize", &["maximum_ring_size"], Ty::Int),
];

/// `LeastRequestConfig`.
const LEAST_REQUEST_CONFIG: &[Field] = &[field("ChoiceCount", &["choice_count"], Ty::Int)];

/// `CookieConfig`.
const COOKIE_CONFIG: &[Field] = &[
    field("Session", &[], Ty::Bool),
    field("TTL", &[], Ty::Duration),
    field("Path", &[], Ty::Str),
];

/// `HashPolicy`.
const HASH_POLICY: &[Field] = &[
    field("Field", &[], Ty::Str),
    field("FieldValue", &["field_value"], Ty::Str),
    field(
        "CookieConfig",
        &["cookie_config"],
        Ty::Struct(COOKIE_CONFIG),
    ),
    field("SourceIP", &["source_ip"], Ty::Bool),
    field("Terminal", &[], Ty::Bool),
];

/// `LoadBalancer`.
const LOAD_BALANCER: &[Field] = &[
    field("Policy", &[], Ty::Str),
    field(
        "RingHashConfig",
        &["ring_hash_config"],
        Ty::Struct(RING_HASH_CONFIG),
    ),
    field(
        "LeastRequestConfig",
        &["least_request_config"],
        Ty::Struct(LEAST_REQUEST_CONFIG),
    ),
    field(
        "HashPolicies",
        &["hash_policies"],
        Ty::List(&Ty::Struct(HASH_POLICY)),
    ),
];

/// `ServiceResolverConfigEntry`.
const SERVICE_RESOLVER_CONFIG_ENTRY: &[Field] = &[
    field("Kind", &[], Ty::Str),
    field("Name", &[], Ty::Str),
    field("DefaultSubset", &["default_subset"], Ty::Str),
    field(
        "Subsets",
        &[],
        Ty::Map(&Ty::Struct(SERVICE_RESOLVER_SUBSET)),
    ),
    field("Redirect", &[], Ty::Struct(SERVICE_RESOLVER_REDIRECT)),
    field(
        "Failover",
        &[],
        Ty::Map(&Ty::Struct(SERVICE_RESOLVER_FAILOVER)),
    ),
    field(
        "PrioritizeByLocality",
        &["prioritize_by_locality"],
        Ty::Struct(SERVICE_RESOLVER_PRIORITIZE_BY_LOCALITY),
    ),
    field("ConnectTimeout", &["connect_timeout"], Ty::Duration),
    field("RequestTimeout", &["request_timeout"], Ty::Duration),
    field(
        "LoadBalancer",
        &["load_balancer"],
        Ty::Struct(LOAD_BALANCER),
    ),
    field("Meta", &[], Ty::Map(&Ty::Str)),
    field("Hash", &[], Ty::Int),
    field("Namespace", &[], Ty::Str),
    field("Partition", &[], Ty::Str),
    field("CreateIndex", &[], Ty::Int),
    field("ModifyIndex", &[], Ty::Int),
];

/// `GatewayTLSSDSConfig`.
const GATEWAY_TLSSDS_CONFIG: &[Field] = &[
    field("ClusterName", &["cluster_name"], Ty::Str),
    field("CertResource", &["cert_resource"], Ty::Str),
];

/// `GatewayTLSConfig`.
const GATEWAY_TLS_CONFIG: &[Field] = &[
    field("Enabled", &[], Ty::Bool),
    field("SDS", &[], Ty::Struct(GATEWAY_TLSSDS_CONFIG)),
    field("TLSMinVersion", &["tls_min_version"], Ty::Str),
    field("TLSMaxVersion", &["tls_max_version"], Ty::Str),
    field("CipherSuites", &["cipher_suites"], Ty::List(&Ty::Str)),
];

/// `GatewayServiceTLSConfig`.
const GATEWAY_SERVICE_TLS_CONFIG: &[Field] =
    &[field("SDS", &[], Ty::Struct(GATEWAY_TLSSDS_CONFIG))];

/// `IngressService`.
const INGRESS_SERVICE: &[Field] = &[
    field("Name", &[], Ty::Str),
    field("Hosts", &[], Ty::List(&Ty::Str)),
    field("TLS", &[], Ty::Struct(GATEWAY_SERVICE_TLS_CONFIG)),
    field(
        "RequestHeaders",
        &["request_headers"],
        Ty::Struct(HTTP_HEADER_MODIFIERS),
    ),
    field(
        "ResponseHeaders",
        &["response_headers"],
        Ty::Struct(HTTP_HEADER_MODIFIERS),
    ),
    field("MaxConnections", &["max_connections"], Ty::Int),
    field("MaxPendingRequests", &["max_pending_requests"], Ty::Int),
    field(
        "MaxConcurrentRequests",
        &["max_concurrent_requests"],
        Ty::Int,
    ),
    field(
        "PassiveHealthCheck",
        &["passive_health_check"],
        Ty::Struct(PASSIVE_HEALTH_CHECK),
    ),
    field("Meta", &[], Ty::Map(&Ty::Str)),
    field("Namespace", &[], Ty::Str),
    field("Partition", &[], Ty::Str),
];

/// `IngressListener`.
const INGRESS_LISTENER: &[Field] = &[
    field("Port", &[], Ty::Int),
    field("Protocol", &[], Ty::Str),
    field("TLS", &[], Ty::Struct(GATEWAY_TLS_CONFIG)),
    field("Services", &[], Ty::List(&Ty::Struct(INGRESS_SERVICE))),
];

/// `IngressServiceConfig`.
const INGRESS_SERVICE_CONFIG: &[Field] = &[
    field("MaxConnections", &[], Ty::Int),
    field("MaxPendingRequests", &[], Ty::Int),
    field("MaxConcurrentRequests", &[], Ty::Int),
    field(
        "PassiveHealthCheck",
        &["passive_health_check"],
        Ty::Struct(PASSIVE_HEALTH_CHECK),
    ),
];

/// `IngressGatewayConfigEntry`.
const INGRESS_GATEWAY_CONFIG_ENTRY: &[Field] = &[
    field("Kind", &[], Ty::Str),
    field("Name", &[], Ty::Str),
    field("TLS", &[], Ty::Struct(GATEWAY_TLS_CONFIG)),
    field("Listeners", &[], Ty::List(&Ty::Struct(INGRESS_LISTENER))),
    field("Defaults", &[], Ty::Struct(INGRESS_SERVICE_CONFIG)),
    field("Meta", &[], Ty::Map(&Ty::Str)),
    field("Hash", &[], Ty::Int),
    field("Namespace", &[], Ty::Str),
    field("Partition", &[], Ty::Str),
    field("CreateIndex", &[], Ty::Int),
    field("ModifyIndex", &[], Ty::Int),
];

/// `LinkedService`.
const LINKED_SERVICE: &[Field] = &[
    field("Name", &[], Ty::Str),
    field("CAFile", &["ca_file"], Ty::Str),
    field("CertFile", &["cert_file"], Ty::Str),
    field("KeyFile", &["key_file"], Ty::Str),
    field("SNI", &[], Ty::Str),
    field("DisableAutoHostRewrite", &[], Ty::Bool),
    field("Namespace", &[], Ty::Str),
    field("Partition", &[], Ty::Str),
];

/// `TerminatingGatewayConfigEntry`.
const TERMINATING_GATEWAY_CONFIG_ENTRY: &[Field] = &[
    field("Kind", &[], Ty::Str),
    field("Name", &[], Ty::Str),
    field("Services", &[], Ty::List(&Ty::Struct(LINKED_SERVICE))),
    field("Meta", &[], Ty::Map(&Ty::Str)),
    field("Hash", &[], Ty::Int),
    field("Namespace", &[], Ty::Str),
    field("Partition", &[], Ty::Str),
    field("CreateIndex", &[], Ty::Int),
    field("ModifyIndex", &[], Ty::Int),
];

/// `IntentionHTTPHeaderPermission`.
const INTENTION_HTTP_HEADER_PERMISSION: &[Field] = &[
    field("Name", &[], Ty::Str),
    field("Present", &[], Ty::Bool),
    field("Exact", &[], Ty::Str),
    field("Prefix", &[], Ty::Str),
    field("Suffix", &[], Ty::Str),
    field("Contains", &[], Ty::Str),
    field("Regex", &[], Ty::Str),
    field("Invert", &[], Ty::Bool),
    field("IgnoreCase", &["ignore_case"], Ty::Bool),
];

/// `IntentionHTTPPermission`.
const INTENTION_HTTP_PERMISSION: &[Field] = &[
    field("PathExact", &["path_exact"], Ty::Str),
    field("PathPrefix", &["path_prefix"], Ty::Str),
    field("PathRegex", &["path_regex"], Ty::Str),
    field(
        "Header",
        &[],
        Ty::List(&Ty::Struct(INTENTION_HTTP_HEADER_PERMISSION)),
    ),
    field("Methods", &[], Ty::List(&Ty::Str)),
];

/// `IntentionJWTClaimVerification`.
const INTENTION_JWT_CLAIM_VERIFICATION: &[Field] = &[
    field("Path", &[], Ty::List(&Ty::Str)),
    field("Value", &[], Ty::Str),
];

/// `IntentionJWTProvider`.
const INTENTION_JWT_PROVIDER: &[Field] = &[
    field("Name", &[], Ty::Str),
    field(
        "VerifyClaims",
        &["verify_claims"],
        Ty::List(&Ty::Struct(INTENTION_JWT_CLAIM_VERIFICATION)),
    ),
];

/// `IntentionJWTRequirement`.
const INTENTION_JWT_REQUIREMENT: &[Field] = &[field(
    "Providers",
    &[],
    Ty::List(&Ty::Struct(INTENTION_JWT_PROVIDER)),
)];

/// `IntentionPermission`.
const INTENTION_PERMISSION: &[Field] = &[
    field("Action", &[], Ty::Str),
    field("HTTP", &[], Ty::Struct(INTENTION_HTTP_PERMISSION)),
    field("JWT", &[], Ty::Struct(INTENTION_JWT_REQUIREMENT)),
];

/// `SourceIntention`.
const SOURCE_INTENTION: &[Field] = &[
    field("Name", &[], Ty::Str),
    field("Action", &[], Ty::Str),
    field(
        "Permissions",
        &[],
        Ty::List(&Ty::Struct(INTENTION_PERMISSION)),
    ),
    field("Precedence", &[], Ty::Int),
    field("LegacyID", &["legacy_id"], Ty::Str),
    field("Type", &[], Ty::Str),
    field("Description", &[], Ty::Str),
    field("LegacyMeta", &["legacy_meta"], Ty::Map(&Ty::Str)),
    field("LegacyCreateTime", &["legacy_create_time"], Ty::Time),
    field("LegacyUpdateTime", &["legacy_update_time"], Ty::Time),
    field("Namespace", &[], Ty::Str),
    field("Partition", &[], Ty::Str),
    field("Peer", &[], Ty::Str),
    field("SamenessGroup", &["sameness_group"], Ty::Str),
];

/// `ServiceIntentionsConfigEntry`.
const SERVICE_INTENTIONS_CONFIG_ENTRY: &[Field] = &[
    field("Kind", &[], Ty::Str),
    field("Name", &[], Ty::Str),
    field("Sources", &[], Ty::List(&Ty::Struct(SOURCE_INTENTION))),
    field("JWT", &[], Ty::Struct(INTENTION_JWT_REQUIREMENT)),
    field("Meta", &[], Ty::Map(&Ty::Str)),
    field("Namespace", &[], Ty::Str),
    field("Partition", &[], Ty::Str),
    field("Hash", &[], Ty::Int),
    field("CreateIndex", &[], Ty::Int),
    field("ModifyIndex", &[], Ty::Int),
];

/// `TransparentProxyMeshConfig`.
const TRANSPARENT_PROXY_MESH_CONFIG: &[Field] = &[field(
    "MeshDestinationsOnly",
    &["mesh_destinations_only"],
    Ty::Bool,
)];

/// `MeshDirectionalTLSConfig`.
const MESH_DIRECTIONAL_TLS_CONFIG: &[Field] = &[
    field("TLSMinVersion", &["tls_min_version"], Ty::Str),
    field("TLSMaxVersion", &["tls_max_version"], Ty::Str),
    field("CipherSuites", &["cipher_suites"], Ty::List(&Ty::Str)),
];

/// `MeshTLSConfig`.
const MESH_TLS_CONFIG: &[Field] = &[
    field("Incoming", &[], Ty::Struct(MESH_DIRECTIONAL_TLS_CONFIG)),
    field("Outgoing", &[], Ty::Struct(MESH_DIRECTIONAL_TLS_CONFIG)),
];

/// `RequestNormalizationMeshConfig`.
const REQUEST_NORMALIZATION_MESH_CONFIG: &[Field] = &[
    field(
        "InsecureDisablePathNormalization",
        &["insecure_disable_path_normalization"],
        Ty::Bool,
    ),
    field("MergeSlashes", &["merge_slashes"], Ty::Bool),
    field(
        "PathWithEscapedSlashesAction",
        &["path_with_escaped_slashes_action"],
        Ty::Str,
    ),
    field(
        "HeadersWithUnderscoresAction",
        &["headers_with_underscores_action"],
        Ty::Str,
    ),
];

/// `MeshDirectionalHTTPConfig`.
const MESH_DIRECTIONAL_HTTP_CONFIG: &[Field] = &[field(
    "RequestNormalization",
    &["request_normalization"],
    Ty::Struct(REQUEST_NORMALIZATION_MESH_CONFIG),
)];

/// `MeshHTTPConfig`.
const MESH_HTTP_CONFIG: &[Field] = &[
    field(
        "SanitizeXForwardedClientCert",
        &["sanitize_x_forwarded_client_cert"],
        Ty::Bool,
    ),
    field("Incoming", &[], Ty::Struct(MESH_DIRECTIONAL_HTTP_CONFIG)),
];

/// `PeeringMeshConfig`.
const PEERING_MESH_CONFIG: &[Field] = &[field(
    "PeerThroughMeshGateways",
    &["peer_through_mesh_gateways"],
    Ty::Bool,
)];

/// `MeshConfigEntry`.
const MESH_CONFIG_ENTRY: &[Field] = &[
    field(
        "TransparentProxy",
        &["transparent_proxy"],
        Ty::Struct(TRANSPARENT_PROXY_MESH_CONFIG),
    ),
    field(
        "AllowEnablingPermissiveMutualTLS",
        &["allow_enabling_permissive_mutual_tls"],
        Ty::Bool,
    ),
    field("ValidateClusters", &["validate_clusters"], Ty::Bool),
    field("TLS", &[], Ty::Struct(MESH_TLS_CONFIG)),
    field("HTTP", &[], Ty::Struct(MESH_HTTP_CONFIG)),
    field("Peering", &[], Ty::Struct(PEERING_MESH_CONFIG)),
    field("Meta", &[], Ty::Map(&Ty::Str)),
    field("Hash", &[], Ty::Int),
    field("Namespace", &[], Ty::Str),
    field("Partition", &[], Ty::Str),
    field("CreateIndex", &[], Ty::Int),
    field("ModifyIndex", &[], Ty::Int),
];

/// `ServiceConsumer`.
const SERVICE_CONSUMER: &[Field] = &[
    field("Partition", &[], Ty::Str),
    field("Peer", &["peer_name"], Ty::Str),
    field("SamenessGroup", &["sameness_group"], Ty::Str),
];

/// `ExportedService`.
const EXPORTED_SERVICE: &[Field] = &[
    field("Name", &[], Ty::Str),
    field("Namespace", &[], Ty::Str),
    field("Consumers", &[], Ty::List(&Ty::Struct(SERVICE_CONSUMER))),
];

/// `ExportedServicesConfigEntry`.
const EXPORTED_SERVICES_CONFIG_ENTRY: &[Field] = &[
    field("Name", &[], Ty::Str),
    field("Services", &[], Ty::List(&Ty::Struct(EXPORTED_SERVICE))),
    field("Meta", &[], Ty::Map(&Ty::Str)),
    field("Hash", &[], Ty::Int),
    field("Namespace", &[], Ty::Str),
    field("Partition", &[], Ty::Str),
    field("CreateIndex", &[], Ty::Int),
    field("ModifyIndex", &[], Ty::Int),
];

/// `SamenessGroupMember`.
const SAMENESS_GROUP_MEMBER: &[Field] = &[
    field("Partition", &[], Ty::Str),
    field("Peer", &[], Ty::Str),
];

/// `SamenessGroupConfigEntry`.
const SAMENESS_GROUP_CONFIG_ENTRY: &[Field] = &[
    field("Name", &[], Ty::Str),
    field("DefaultForFailover", &["default_for_failover"], Ty::Bool),
    field("IncludeLocal", &["include_local"], Ty::Bool),
    field("Members", &[], Ty::List(&Ty::Struct(SAMENESS_GROUP_MEMBER))),
    field("Meta", &[], Ty::Map(&Ty::Str)),
    field("Hash", &[], Ty::Int),
    field("Namespace", &[], Ty::Str),
    field("Partition", &[], Ty::Str),
    field("CreateIndex", &[], Ty::Int),
    field("ModifyIndex", &[], Ty::Int),
];

/// `ResourceReference`.
const RESOURCE_REFERENCE: &[Field] = &[
    field("Kind", &[], Ty::Str),
    field("Name", &[], Ty::Str),
    field("SectionName", &[], Ty::Str),
    field("Namespace", &[], Ty::Str),
    field("Partition", &[], Ty::Str),
];

/// `APIGatewayTLSConfiguration`.
const API_GATEWAY_TLS_CONFIGURATION: &[Field] = &[
    field(
        "Certificates",
        &[],
        Ty::List(&Ty::Struct(RESOURCE_REFERENCE)),
    ),
    field("MaxVersion", &[], Ty::Str),
    field("MinVersion", &[], Ty::Str),
    field("CipherSuites", &[], Ty::List(&Ty::Str)),
];

/// `APIGatewayJWTRequirement`.
const API_GATEWAY_JWT_REQUIREMENT: &[Field] = &[];

/// `APIGatewayPolicy`.
const API_GATEWAY_POLICY: &[Field] = &[field("JWT", &[], Ty::Struct(API_GATEWAY_JWT_REQUIREMENT))];

/// `APIGatewayListener`.
const API_GATEWAY_LISTENER: &[Field] = &[
    field("Name", &[], Ty::Str),
    field("Hostname", &[], Ty::Str),
    field("Port", &[], Ty::Int),
    field("Protocol", &[], Ty::Str),
    field("TLS", &[], Ty::Struct(API_GATEWAY_TLS_CONFIGURATION)),
    field("Override", &[], Ty::Struct(API_GATEWAY_POLICY)),
    field("Default", &[], Ty::Struct(API_GATEWAY_POLICY)),
    field("MaxRequestHeadersKB", &[], Ty::Int),
];

/// `Condition`.
const CONDITION: &[Field] = &[
    field("Type", &[], Ty::Str),
    field("Status", &[], Ty::Str),
    field("Reason", &[], Ty::Str),
    field("Message", &[], Ty::Str),
    field("Resource", &[], Ty::Struct(RESOURCE_REFERENCE)),
    field("LastTransitionTime", &[], Ty::Time),
];

/// `Status`.
const STATUS: &[Field] = &[field("Conditions", &[], Ty::List(&Ty::Struct(CONDITION)))];

/// `APIGatewayConfigEntry`.
const API_GATEWAY_CONFIG_ENTRY: &[Field] = &[
    field("Kind", &[], Ty::Str),
    field("Name", &[], Ty::Str),
    field(
        "Listeners",
        &[],
        Ty::List(&Ty::Struct(API_GATEWAY_LISTENER)),
    ),
    field("Status", &[], Ty::Struct(STATUS)),
    field("Meta", &[], Ty::Map(&Ty::Str)),
    field("Hash", &[], Ty::Int),
    field("Namespace", &[], Ty::Str),
    field("Partition", &[], Ty::Str),
    field("CreateIndex", &[], Ty::Int),
    field("ModifyIndex", &[], Ty::Int),
];

/// `BoundAPIGatewayListener`.
const BOUND_API_GATEWAY_LISTENER: &[Field] = &[
    field("Name", &[], Ty::Str),
    field("Routes", &[], Ty::List(&Ty::Struct(RESOURCE_REFERENCE))),
    field(
        "Certificates",
        &[],
        Ty::List(&Ty::Struct(RESOURCE_REFERENCE)),
    ),
];

/// `BoundAPIGatewayConfigEntry`.
const BOUND_API_GATEWAY_CONFIG_ENTRY: &[Field] = &[
    field("Kind", &[], Ty::Str),
    field("Name", &[], Ty::Str),
    field(
        "Listeners",
        &[],
        Ty::List(&Ty::Struct(BOUND_API_GATEWAY_LISTENER)),
    ),
    field(
        "Services",
        &[],
        Ty::Map(&Ty::List(&Ty::Struct(RESOURCE_REFERENCE))),
    ),
    field("Meta", &[], Ty::Map(&Ty::Str)),
    field("Hash", &[], Ty::Int),
    field("Namespace", &[], Ty::Str),
    field("Partition", &[], Ty::Str),
    field("CreateIndex", &[], Ty::Int),
    field("ModifyIndex", &[], Ty::Int),
];

/// `HTTPHeaderFilter`.
const HTTP_HEADER_FILTER: &[Field] = &[
    field("Add", &[], Ty::Map(&Ty::Str)),
    field("Remove", &[], Ty::List(&Ty::Str)),
    field("Set", &[], Ty::Map(&Ty::Str)),
];

/// `URLRewrite`.
const URL_REWRITE: &[Field] = &[field("Path", &[], Ty::Str)];

/// `RetryFilter`.
const RETRY_FILTER: &[Field] = &[
    field("NumRetries", &[], Ty::Int),
    field("RetryOn", &[], Ty::List(&Ty::Str)),
    field("RetryOnStatusCodes", &[], Ty::List(&Ty::Int)),
    field("RetryOnConnectFailure", &[], Ty::Bool),
];

/// `TimeoutFilter`.
const TIMEOUT_FILTER: &[Field] = &[
    field("RequestTimeout", &[], Ty::Duration),
    field("IdleTimeout", &[], Ty::Duration),
];

/// `JWTFilter`.
const JWT_FILTER: &[Field] = &[];

/// `HTTPFilters`.
const HTTP_FILTERS: &[Field] = &[
    field("Headers", &[], Ty::List(&Ty::Struct(HTTP_HEADER_FILTER))),
    field("URLRewrite", &[], Ty::Struct(URL_REWRITE)),
    field("RetryFilter", &[], Ty::Struct(RETRY_FILTER)),
    field("TimeoutFilter", &[], Ty::Struct(TIMEOUT_FILTER)),
    field("JWT", &[], Ty::Struct(JWT_FILTER)),
];

/// `HTTPResponseFilters`.
const HTTP_RESPONSE_FILTERS: &[Field] = &[field(
    "Headers",
    &[],
    Ty::List(&Ty::Struct(HTTP_HEADER_FILTER)),
)];

/// `HTTPHeaderMatch`.
const HTTP_HEADER_MATCH: &[Field] = &[
    field("Match", &[], Ty::Str),
    field("Name", &[], Ty::Str),
    field("Value", &[], Ty::Str),
];

/// `HTTPPathMatch`.
const HTTP_PATH_MATCH: &[Field] = &[field("Match", &[], Ty::Str), field("Value", &[], Ty::Str)];

/// `HTTPQueryMatch`.
const HTTP_QUERY_MATCH: &[Field] = &[
    field("Match", &[], Ty::Str),
    field("Name", &[], Ty::Str),
    field("Value", &[], Ty::Str),
];

/// `HTTPMatch`.
const HTTP_MATCH: &[Field] = &[
    field("Headers", &[], Ty::List(&Ty::Struct(HTTP_HEADER_MATCH))),
    field("Method", &[], Ty::Str),
    field("Path", &[], Ty::Struct(HTTP_PATH_MATCH)),
    field("Query", &[], Ty::List(&Ty::Struct(HTTP_QUERY_MATCH))),
];

/// `HTTPService`.
const HTTP_SERVICE: &[Field] = &[
    field("Name", &[], Ty::Str),
    field("Weight", &[], Ty::Int),
    field("Filters", &[], Ty::Struct(HTTP_FILTERS)),
    field("ResponseFilters", &[], Ty::Struct(HTTP_RESPONSE_FILTERS)),
    field("Namespace", &[], Ty::Str),
    field("Partition", &[], Ty::Str),
];

/// `HTTPRouteRule`.
const HTTP_ROUTE_RULE: &[Field] = &[
    field("Filters", &[], Ty::Struct(HTTP_FILTERS)),
    field("ResponseFilters", &[], Ty::Struct(HTTP_RESPONSE_FILTERS)),
    field("Matches", &[], Ty::List(&Ty::Struct(HTTP_MATCH))),
    field("Services", &[], Ty::List(&Ty::Struct(HTTP_SERVICE))),
];

/// `HTTPRouteConfigEntry`.
const HTTP_ROUTE_CONFIG_ENTRY: &[Field] = &[
    field("Kind", &[], Ty::Str),
    field("Name", &[], Ty::Str),
    field("Parents", &[], Ty::List(&Ty::Struct(RESOURCE_REFERENCE))),
    field("Rules", &[], Ty::List(&Ty::Struct(HTTP_ROUTE_RULE))),
    field("Hostnames", &[], Ty::List(&Ty::Str)),
    field("Meta", &[], Ty::Map(&Ty::Str)),
    field("Status", &[], Ty::Struct(STATUS)),
    field("Hash", &[], Ty::Int),
    field("Namespace", &[], Ty::Str),
    field("Partition", &[], Ty::Str),
    field("CreateIndex", &[], Ty::Int),
    field("ModifyIndex", &[], Ty::Int),
];

/// `TCPService`.
const TCP_SERVICE: &[Field] = &[
    field("Name", &[], Ty::Str),
    field("Namespace", &[], Ty::Str),
    field("Partition", &[], Ty::Str),
];

/// `TCPRouteConfigEntry`.
const TCP_ROUTE_CONFIG_ENTRY: &[Field] = &[
    field("Kind", &[], Ty::Str),
    field("Name", &[], Ty::Str),
    field("Parents", &[], Ty::List(&Ty::Struct(RESOURCE_REFERENCE))),
    field("Services", &[], Ty::List(&Ty::Struct(TCP_SERVICE))),
    field("Meta", &[], Ty::Map(&Ty::Str)),
    field("Status", &[], Ty::Struct(STATUS)),
    field("Hash", &[], Ty::Int),
    field("Namespace", &[], Ty::Str),
    field("Partition", &[], Ty::Str),
    field("CreateIndex", &[], Ty::Int),
    field("ModifyIndex", &[], Ty::Int),
];

/// `FileSystemCertificateConfigEntry`.
const FILE_SYSTEM_CERTIFICATE_CONFIG_ENTRY: &[Field] = &[
    field("Kind", &[], Ty::Str),
    field("Name", &[], Ty::Str),
    field("Certificate", &[], Ty::Str),
    field("PrivateKey", &[], Ty::Str),
    field("Meta", &[], Ty::Map(&Ty::Str)),
    field("Hash", &[], Ty::Int),
    field("Namespace", &[], Ty::Str),
    field("Partition", &[], Ty::Str),
    field("CreateIndex", &[], Ty::Int),
    field("ModifyIndex", &[], Ty::Int),
];

/// `InlineCertificateConfigEntry`.
const INLINE_CERTIFICATE_CONFIG_ENTRY: &[Field] = &[
    field("Kind", &[], Ty::Str),
    field("Name", &[], Ty::Str),
    field("Certificate", &[], Ty::Str),
    field("PrivateKey", &[], Ty::Str),
    field("Meta", &[], Ty::Map(&Ty::Str)),
    field("Hash", &[], Ty::Int),
    field("Namespace", &[], Ty::Str),
    field("Partition", &[], Ty::Str),
    field("CreateIndex", &[], Ty::Int),
    field("ModifyIndex", &[], Ty::Int),
];

/// `LocalJWKS`.
const LOCAL_JWKS: &[Field] = &[field("JWKS", &[], Ty::Str), field("Filename", &[], Ty::Str)];

/// `RetryPolicyBackOff`.
const RETRY_POLICY_BACK_OFF: &[Field] = &[
    field("BaseInterval", &["base_interval"], Ty::Duration),
    field("MaxInterval", &["max_interval"], Ty::Duration),
];

/// `JWKSRetryPolicy`.
const JWKS_RETRY_POLICY: &[Field] = &[
    field("NumRetries", &["num_retries"], Ty::Int),
    field(
        "RetryPolicyBackOff",
        &["retry_policy_back_off"],
        Ty::Struct(RETRY_POLICY_BACK_OFF),
    ),
];

/// `JWKSTLSCertProviderInstance`.
const JWKSTLS_CERT_PROVIDER_INSTANCE: &[Field] = &[
    field("InstanceName", &["instance_name"], Ty::Str),
    field("CertificateName", &["certificate_name"], Ty::Str),
];

/// `JWKSTLSCertTrustedCA`.
const JWKSTLS_CERT_TRUSTED_CA: &[Field] = &[
    field("Filename", &["filename"], Ty::Str),
    field("EnvironmentVariable", &["environment_variable"], Ty::Str),
    field("InlineString", &["inline_string"], Ty::Str),
    field("InlineBytes", &["inline_bytes"], Ty::Str),
];

/// `JWKSTLSCertificate`.
const JWKSTLS_CERTIFICATE: &[Field] = &[
    field(
        "CaCertificateProviderInstance",
        &["ca_certificate_provider_instance"],
        Ty::Struct(JWKSTLS_CERT_PROVIDER_INSTANCE),
    ),
    field(
        "TrustedCA",
        &["trusted_ca"],
        Ty::Struct(JWKSTLS_CERT_TRUSTED_CA),
    ),
];

/// `JWKSCluster`.
const JWKS_CLUSTER: &[Field] = &[
    field("DiscoveryType", &["discovery_type"], Ty::Str),
    field(
        "TLSCertificates",
        &["tls_certificates"],
        Ty::Struct(JWKSTLS_CERTIFICATE),
    ),
    field("ConnectTimeout", &["connect_timeout"], Ty::Duration),
];

/// `RemoteJWKS`.
const REMOTE_JWKS: &[Field] = &[
    field("URI", &[], Ty::Str),
    field("RequestTimeoutMs", &["request_timeout_ms"], Ty::Int),
    field("CacheDuration", &["cache_duration"], Ty::Duration),
    field("FetchAsynchronously", &["fetch_asynchronously"], Ty::Bool),
    field("UseSNI", &["use_sni"], Ty::Bool),
    field(
        "RetryPolicy",
        &["retry_policy"],
        Ty::Struct(JWKS_RETRY_POLICY),
    ),
    field("JWKSCluster", &["jwks_cluster"], Ty::Struct(JWKS_CLUSTER)),
];

/// `JSONWebKeySet`.
const JSON_WEB_KEY_SET: &[Field] = &[
    field("Local", &[], Ty::Struct(LOCAL_JWKS)),
    field("Remote", &[], Ty::Struct(REMOTE_JWKS)),
];

/// `JWTLocationHeader`.
const JWT_LOCATION_HEADER: &[Field] = &[
    field("Name", &[], Ty::Str),
    field("ValuePrefix", &["value_prefix"], Ty::Str),
    field("Forward", &[], Ty::Bool),
];

/// `JWTLocationQueryParam`.
const JWT_LOCATION_QUERY_PARAM: &[Field] = &[field("Name", &[], Ty::Str)];

/// `JWTLocationCookie`.
const JWT_LOCATION_COOKIE: &[Field] = &[field("Name", &[], Ty::Str)];

/// `JWTLocation`.
const JWT_LOCATION: &[Field] = &[
    field("Header", &[], Ty::Struct(JWT_LOCATION_HEADER)),
    field(
        "QueryParam",
        &["query_param"],
        Ty::Struct(JWT_LOCATION_QUERY_PARAM),
    ),
    field("Cookie", &[], Ty::Struct(JWT_LOCATION_COOKIE)),
];

/// `JWTForwardingConfig`.
const JWT_FORWARDING_CONFIG: &[Field] = &[
    field("HeaderName", &["header_name"], Ty::Str),
    field(
        "PadForwardPayloadHeader",
        &["pad_forward_payload_header"],
        Ty::Bool,
    ),
];

/// `JWTCacheConfig`.
const JWT_CACHE_CONFIG: &[Field] = &[field("Size", &[], Ty::Int)];

/// `JWTProviderConfigEntry`.
const JWT_PROVIDER_CONFIG_ENTRY: &[Field] = &[
    field("Kind", &[], Ty::Str),
    field("Name", &[], Ty::Str),
    field(
        "JSONWebKeySet",
        &["json_web_key_set"],
        Ty::Struct(JSON_WEB_KEY_SET),
    ),
    field("Issuer", &[], Ty::Str),
    field("Audiences", &[], Ty::List(&Ty::Str)),
    field("Locations", &[], Ty::List(&Ty::Struct(JWT_LOCATION))),
    field("Forwarding", &[], Ty::Struct(JWT_FORWARDING_CONFIG)),
    field("ClockSkewSeconds", &["clock_skew_seconds"], Ty::Int),
    field(
        "CacheConfig",
        &["cache_config"],
        Ty::Struct(JWT_CACHE_CONFIG),
    ),
    field("Meta", &[], Ty::Map(&Ty::Str)),
    field("Hash", &[], Ty::Int),
    field("Namespace", &[], Ty::Str),
    field("Partition", &[], Ty::Str),
    field("CreateIndex", &[], Ty::Int),
    field("ModifyIndex", &[], Ty::Int),
];

/// Every kind with fields, and its top-level fields.
pub const KINDS: &[(&str, &[Field])] = &[
    ("service-defaults", SERVICE_CONFIG_ENTRY),
    ("proxy-defaults", PROXY_CONFIG_ENTRY),
    ("service-router", SERVICE_ROUTER_CONFIG_ENTRY),
    ("service-splitter", SERVICE_SPLITTER_CONFIG_ENTRY),
    ("service-resolver", SERVICE_RESOLVER_CONFIG_ENTRY),
    ("ingress-gateway", INGRESS_GATEWAY_CONFIG_ENTRY),
    ("terminating-gateway", TERMINATING_GATEWAY_CONFIG_ENTRY),
    ("service-intentions", SERVICE_INTENTIONS_CONFIG_ENTRY),
    ("mesh", MESH_CONFIG_ENTRY),
    ("exported-services", EXPORTED_SERVICES_CONFIG_ENTRY),
    ("sameness-group", SAMENESS_GROUP_CONFIG_ENTRY),
    ("api-gateway", API_GATEWAY_CONFIG_ENTRY),
    ("bound-api-gateway", BOUND_API_GATEWAY_CONFIG_ENTRY),
    ("http-route", HTTP_ROUTE_CONFIG_ENTRY),
    ("tcp-route", TCP_ROUTE_CONFIG_ENTRY),
    (
        "file-system-certificate",
        FILE_SYSTEM_CERTIFICATE_CONFIG_ENTRY,
    ),
    ("inline-certificate", INLINE_CERTIFICATE_CONFIG_ENTRY),
    ("jwt-provider", JWT_PROVIDER_CONFIG_ENTRY),
];
