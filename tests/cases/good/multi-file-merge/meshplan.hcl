# Two clusters managed here; cluster-01's entries are split across team files.
workspace = "multi-file-merge"

cluster "cluster-01" {
  address    = "https://consul-01.internal:8501"
  token_env  = "CLUSTER01_CONSUL_TOKEN"
  datacenter = "dc1"
  tls {
    ca_file     = "/etc/consul/ca.pem"
    cert_file   = "/etc/consul/client.pem"
    key_file    = "/etc/consul/client-key.pem"
    server_name = "consul-01.internal"
  }
}

cluster "cluster-02" {
  address    = "consul-02.internal:8500"
  token_file = "tokens/cluster-02.acl"
}

peering {
  acceptor = "cluster-01"
  dialer   = "cluster-02"
  meta     = { owner = "platform", cost_center = "cc-42" }
  server_external_addresses = ["203.0.113.10:8503", "203.0.113.11:8503"]
}
