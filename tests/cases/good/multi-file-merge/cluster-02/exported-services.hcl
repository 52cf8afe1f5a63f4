Kind = "exported-services"
Name = "default"
Services = [
  { Name = "backend-service", Consumers = [{ Peer = "cluster-01" }] }
]
