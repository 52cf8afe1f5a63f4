Kind = "service-intentions"
Sources = [
  { Name = "backend-service", Peer = "cluster-02", Action = "allow" }
]
