Name = "default"
Services = [
  { Name = "frontend-service", Consumers = [{ Peer = "cluster-02" }] }
]
