Kind = "exported-services"
Name = "default"
Services = [
  { Name = "frontend-service", Consumers = [{ Peer = "partner-east" }, { Peer = "spoke" }] }
]
