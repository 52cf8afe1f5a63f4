cluster "cluster-01" {
  address = "http://127.0.0.1:8500"
  token   = "b3a1c6f0-secret-acl-token-9d2e"
}

cluster "cluster-02" {
  address = "http://127.0.0.1:9500"
}

peering {
  acceptor = "cluster-01"
  dialer   = "cluster-02"
}

workspace = "literal-token"
