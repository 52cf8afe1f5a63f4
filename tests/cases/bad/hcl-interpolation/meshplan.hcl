cluster "cluster-01" {
  address   = "http://${var.consul_host}:8500"
  token_env = upper("cluster01_token")
}

cluster "cluster-02" {
  address = "http://127.0.0.1:9500"
}

peering {
  acceptor = "cluster-01"
  dialer   = local.dialer
}

workspace = "hcl-interpolation"
