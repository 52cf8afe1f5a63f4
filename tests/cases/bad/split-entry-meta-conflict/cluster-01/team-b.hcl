Kind = "exported-services"
Name = "default"
Meta = { team = "b" }
Services = [{ Name = "web", Consumers = [{ Peer = "cluster-02" }] }]
