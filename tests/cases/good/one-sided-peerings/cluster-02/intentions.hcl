Kind = "service-intentions"
Name = "billing"
Sources = [
  { Name = "ledger", Peer = "partner-west", Action = "allow" },
  { Name = "frontend-service", Peer = "hub", Action = "allow" }
]
