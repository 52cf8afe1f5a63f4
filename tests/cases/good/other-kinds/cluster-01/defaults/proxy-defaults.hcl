# Kinds meshplan does not model are kept as documents: Kind and Name are required, the rest
# is Consul's to check on apply.
Kind = "proxy-defaults"
Name = "global"
Config {
  protocol = "http"
}
MeshGateway {
  Mode = "local"
}
