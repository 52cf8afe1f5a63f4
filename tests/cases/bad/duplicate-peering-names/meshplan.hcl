cluster "cluster-01" {
  address = "http://127.0.0.1:8500"
}

cluster "cluster-02" {
  address = "http://127.0.0.1:9500"
}

cluster "cluster-03" {
  address = "http://127.0.0.1:10500"
}

peering {
  acceptor = "cluster-01"
  dialer   = "cluster-02"
}

peering {
  acceptor         = "cluster-01"
  dialer           = "cluster-03"
  name_on_acceptor = "cluster-02"
}

workspace = "duplicate-peering-names"
