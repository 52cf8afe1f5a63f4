Kind = "service-intentions"
Name = "api"
Sources = [
  { Name = "backend-*", Peer = "cluster-02", Action = "allow" }
]
