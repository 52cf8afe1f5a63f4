Kind = "exported-services"
Name = "default"
Meta = { team = "a" }
Services = [{ Name = "api", Consumers = [{ Peer = "cluster-02" }] }]
