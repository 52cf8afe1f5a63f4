Kind = "exported-services"
Name = "default"
Services = [
  { Name = 42, Consumers = [{ Peer = "cluster-02" }] }
]
