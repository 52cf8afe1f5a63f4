cluster "cluster-01" {}
cluster "cluster-02" {}

peering {
  acceptor = "cluster-01"
  dialer   = "cluster-02"
}

workspace = "split-entry-meta-conflict"
