workspace = "entries-outside-every-cluster-folder"

cluster "east" {
  address = "http://127.0.0.1:8500"
  entries = "clusters/east"
}
