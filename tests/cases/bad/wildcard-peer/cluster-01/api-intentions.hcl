Kind = "service-intentions"
Name = "api"
Sources = [
  { Name = "backend-service", Peer = "*", Action = "allow" }
]
