# HCL1 block syntax, as in older Consul docs: each block is one list element.
Kind = "exported-services"
Name = "default"

Services {
  Name = "frontend-service"
  Consumers {
    Peer = "cluster-02"
  }
}

Services {
  Name = "backend-service"
  Consumers {
    Peer = "cluster-02"
  }
}
