cluster "cluster-01" {
  address = "http://127.0.0.1:8500"
}

cluster "cluster-02" {
  address = "http://127.0.0.1:9500"
}

cluster "cluster-01" {
  address = "http://127.0.0.1:10500"
}

workspace = "duplicate-cluster-block"
