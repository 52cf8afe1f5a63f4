Kind     = "service-defaults"
Name     = "web"
Protocol = "http"
MaxInboundConnections = "many"

MeshGateway {
  Mod = "local"
}

UpstreamConfig {
  Defaults {
    ConnectTimeoutMs = 5000
    Limits {
      MaxConnections = 10
      MaxPendingReqs = 5
    }
  }
}
