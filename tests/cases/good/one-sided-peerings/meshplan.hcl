workspace = "one-sided-peerings"

cluster "cluster-01" {
  address   = "http://127.0.0.1:8500"
  token_env = "CLUSTER01_CONSUL_TOKEN"
}

cluster "cluster-02" {
  address    = "http://127.0.0.1:9500"
  token_file = "secrets/cluster-02.acl"
}

# Only the acceptor is ours: the token is written for the other team.
peering {
  acceptor  = "cluster-01"
  dialer    = "partner-east"
  token_out = "tokens/partner-east.token"
}

# Only the dialer is ours: it dials with a token received from elsewhere.
peering {
  acceptor   = "partner-west"
  dialer     = "cluster-02"
  token_file = "tokens/partner-west.token"
}

# Both sides ours, with names other than the defaults on each side.
peering {
  acceptor         = "cluster-01"
  dialer           = "cluster-02"
  name_on_acceptor = "spoke"
  name_on_dialer   = "hub"
}
