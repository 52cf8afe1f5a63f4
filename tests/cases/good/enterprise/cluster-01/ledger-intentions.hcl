Kind      = "service-intentions"
Name      = "ledger"
Namespace = "billing"
Partition = "payments"
Sources = [
  { Name = "checkout", Namespace = "shop", Peer = "cluster-02", Action = "allow" },
  { Name = "reports", Namespace = "analytics", Partition = "analytics", Action = "allow" },
  { Name = "auditor", SamenessGroup = "products", Action = "allow" },
  { Name = "*", Namespace = "*", Action = "deny" }
]
