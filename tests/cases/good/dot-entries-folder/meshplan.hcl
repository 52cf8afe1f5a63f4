workspace = "dot-entries-folder"

cluster "cluster-01" {
  entries = "./east"
}
