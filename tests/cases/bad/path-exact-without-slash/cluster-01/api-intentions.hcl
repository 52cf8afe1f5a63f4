Kind = "service-intentions"
Name = "api"
Sources = [
  {
    Name = "backend-service"
    Peer = "cluster-02"
    Permissions = [
      { Action = "allow", HTTP = { PathExact = "healthz" } }
    ]
  }
]
