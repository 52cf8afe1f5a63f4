Kind = "service-intentions"
Name = "frontend-service"
Descripton = "typo in a top-level field"
Sources = [
  { Name = "backend-service", Peer = "cluster-02", Acton = "allow" },
  { Name = "admin-service", Peer = "cluster-02", Action = "deny", Description = { text = "not a string" } },
]
