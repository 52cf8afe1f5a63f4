# Consul matches field names case-insensitively and accepts its snake_case aliases.
kind = "exported-services"
name = "default"
services = [
  {
    name      = "frontend-service"
    consumers = [{ peer_name = "cluster-02" }]
  }
]
meta = { Owner = "platform" }
