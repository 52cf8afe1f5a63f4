cluster "cluster-01" {
  address = "http://127.0.0.1:8500"
}

peering {
  acceptor = "cluster-01"
  dialer   = "partner-east"
}

workspace = "peering-foreign-dialer-without-token-out"
