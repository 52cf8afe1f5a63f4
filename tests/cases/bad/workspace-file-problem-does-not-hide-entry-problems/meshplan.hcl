workspace = "workspace-file-problem-does-not-hide-entry-problems"

cluster "cluster-01" {
  address = "http://127.0.0.1:8500"
}

cluster "cluster-02" {
  address = "http://127.0.0.1:9500"
  adress  = "http://127.0.0.1:9501"
}

peering {
  acceptor = "cluster-01"
  dialer   = "cluster-02"
}
