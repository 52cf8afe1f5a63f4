workspace = "service-defaults-typo"

cluster "cluster-01" {
  address = "http://127.0.0.1:8500"
}
