Kind = "exported-services"
Name = "default"
Services = [
  { Name = "frontend-service", Consumers = [{ Peer = "cluster-02" }] }
]
