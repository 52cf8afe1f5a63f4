workspace = "unreadable-peering-does-not-make-peers-unknown"

cluster "cluster-01" {
  address = "http://127.0.0.1:8500"
}

cluster "cluster-02" {
  address = "http://127.0.0.1:9500"
}

peering {
  acceptor = "cluster-01"
  dailer   = "cluster-02"
}
