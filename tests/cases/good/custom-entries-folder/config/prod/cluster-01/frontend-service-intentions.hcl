Kind = "service-intentions"
Name = "frontend-service"
Sources = [
  {
    Name   = "backend-service"
    Peer   = "cluster-02"
    Action = "allow"
  }
]
