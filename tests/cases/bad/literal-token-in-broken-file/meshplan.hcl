workspace = "literal-token-in-broken-file"

cluster "cluster-01" {
  token = "b3a1c6f0-secret-acl-token-9d2e
}
