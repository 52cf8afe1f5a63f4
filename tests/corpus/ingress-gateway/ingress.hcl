Kind = "ingress-gateway"
Name = "corpus-ingress"
TLS {
  Enabled = false
}
Defaults {
  MaxConnections = "64"
}
Listeners = [
  {
    Port     = "8080"
    Protocol = "tcp"
    Services {
      Name = "corpus-db"
    }
  },
  {
    Port     = 8443
    Protocol = "tcp"
    Services = [{ Name = "corpus-cache" }]
  },
]
