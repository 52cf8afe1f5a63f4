cluster "cluster-01" {
  address = "http://127.0.0.1:8500"
}

peering {
  acceptor = "cluster-10"
  dialer   = "partner-east"
}

workspace = "peering-neither-side-ours"
