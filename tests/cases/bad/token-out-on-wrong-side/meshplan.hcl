cluster "cluster-02" {
  address = "http://127.0.0.1:9500"
}

peering {
  acceptor  = "partner-west"
  dialer    = "cluster-02"
  token_out = "tokens/partner-west.token"
}

workspace = "token-out-on-wrong-side"
