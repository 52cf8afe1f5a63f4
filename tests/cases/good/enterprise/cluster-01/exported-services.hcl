Kind      = "exported-services"
Name      = "payments"
Partition = "payments"
Services = [
  {
    Name      = "ledger"
    Namespace = "billing"
    Consumers = [
      { Peer = "cluster-02" },
      { Partition = "analytics" },
      { SamenessGroup = "products" }
    ]
  },
  {
    Name      = "*"
    Namespace = "*"
    Consumers = [{ Partition = "analytics" }]
  }
]
