cluster "cluster-01" {
  entries = "./east"
}
