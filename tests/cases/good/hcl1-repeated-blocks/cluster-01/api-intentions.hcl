Kind = "service-intentions"
Name = "api"

Sources {
  Name = "backend-service"
  Peer = "cluster-02"
  Permissions {
    Action = "allow"
    HTTP {
      PathPrefix = "/v1"
      Methods    = ["GET"]
    }
  }
  Permissions {
    Action = "deny"
    HTTP {
      PathPrefix = "/"
    }
  }
}
