Kind = "exported-services"
Name = "default"
Services = [
  { Name = { first = "web" }, Consumers = [{ Peer = "cluster-02" }] }
]
