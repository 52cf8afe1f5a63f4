Kind = "service-intentions"
Name = "api"
Sources = [
  {
    Name        = "backend-service"
    Peer        = "cluster-02"
    Action      = "allow"
    Permissions = [{ Action = "allow", HTTP = { PathPrefix = "/v1" } }]
  }
]
