Kind           = "service-resolver"
Name           = "corpus-resolve"
DefaultSubset  = "v1"
ConnectTimeout = "15s"
RequestTimeout = "90s"
Subsets {
  v1 {
    Filter      = "Service.Meta.version == v1"
    OnlyPassing = "true"
  }
  v2 {
    Filter = "Service.Meta.version == v2"
  }
}
Failover {
  "*" {
    Targets = [{ Peer = "corpus-peer" }]
  }
}
LoadBalancer {
  Policy = "least_request"
  LeastRequestConfig {
    ChoiceCount = "2"
  }
}
