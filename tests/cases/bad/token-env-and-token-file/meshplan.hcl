cluster "cluster-01" {
  address    = "http://127.0.0.1:8500"
  token_env  = "CLUSTER01_CONSUL_TOKEN"
  token_file = "tokens/cluster-01.acl"
}

cluster "cluster-02" {
  address = "http://127.0.0.1:9500"
}

peering {
  acceptor = "cluster-01"
  dialer   = "cluster-02"
}

workspace = "token-env-and-token-file"
