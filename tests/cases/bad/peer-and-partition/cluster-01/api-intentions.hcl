Kind = "service-intentions"
Name = "api"
Sources = [
  { Name = "backend-service", Peer = "cluster-02", Partition = "team-a", Action = "allow" }
]
