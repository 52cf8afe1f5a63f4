Kind = "service-intentions"
Name = "frontend-service"
Sources = [
  { Name = "backend-service", Peer = "partner-east", Action = "allow" }
]
