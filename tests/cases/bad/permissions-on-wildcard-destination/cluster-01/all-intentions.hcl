Kind = "service-intentions"
Name = "*"
Sources = [
  {
    Name        = "backend-service"
    Peer        = "cluster-02"
    Permissions = [{ Action = "allow", HTTP = { PathPrefix = "/v1" } }]
  }
]
