cluster "cluster-01" {}

cluster "cluster-02" {
  entries = "cluster-01/nested"
}

workspace = "overlapping-entries-folders"
