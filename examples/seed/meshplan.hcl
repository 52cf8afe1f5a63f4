# The seed scenario: cluster-01 exports frontend-service to cluster-02 and lets cluster-02's
# backend-service call it. The addresses are those of `scripts/dev-clusters up`.
workspace = "platform-mesh"

cluster "cluster-01" {
  address = "http://127.0.0.1:8500"
}

cluster "cluster-02" {
  address = "http://127.0.0.1:9500"
}

# cluster-01 generates the token, cluster-02 dials with it. Each side names the peering after
# the other cluster: "cluster-02" on cluster-01, "cluster-01" on cluster-02.
peering {
  acceptor = "cluster-01"
  dialer   = "cluster-02"
  meta     = { owner = "platform" }
}
