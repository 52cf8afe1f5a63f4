cluster "Cluster-01" {
  address = "http://127.0.0.1:8500"
}

workspace = "invalid-cluster-name"
