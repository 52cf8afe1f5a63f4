Kind           = "service-resolver"
Name           = "api"
ConnectTimeout = "5s"

Failover = {
  "*" = {
    Targets = [
      { Peer = "cluster-02", Servise = "api" },
    ]
  }
}

LoadBalancer {
  Policy = "ring_hash"
  RingHashConfig {
    MinimumRingSize = 1024
    MaxRingSise     = 8192
  }
}
