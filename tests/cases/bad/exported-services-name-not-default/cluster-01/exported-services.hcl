Kind = "exported-services"
Name = "frontend-service"
Services = [
  { Name = "frontend-service", Consumers = [{ Peer = "cluster-02" }] }
]
