# Consul Enterprise: admin partitions on clusters and on each side of a peering.
workspace = "enterprise"

cluster "cluster-01" {
  address   = "https://consul-01.internal:8501"
  partition = "payments"
}

cluster "cluster-02" {
  address = "https://consul-02.internal:8501"
}

peering {
  acceptor           = "cluster-01"
  dialer             = "cluster-02"
  acceptor_partition = "payments"
  dialer_partition   = "default"
}
