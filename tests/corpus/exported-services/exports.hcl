# A single Services block where Consul expects a list, and consumers as repeated blocks.
Kind = "exported-services"
Name = "default"
Services {
  Name = "corpus-web"
  Consumers {
    Peer = "corpus-peer"
  }
  Consumers {
    peer_name = "corpus-other"
  }
}
