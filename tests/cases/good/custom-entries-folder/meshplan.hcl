workspace = "custom-entries-folder"

cluster "cluster-01" {
  address = "http://127.0.0.1:8500"
  entries = "config/prod/cluster-01"
}

cluster "cluster-02" {
  address = "http://127.0.0.1:9500"
  entries = "./config/prod/cluster-02"
}

peering {
  acceptor = "cluster-01"
  dialer   = "cluster-02"
}
