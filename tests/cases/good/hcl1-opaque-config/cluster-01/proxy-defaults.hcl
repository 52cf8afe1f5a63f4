Kind = "proxy-defaults"
Name = "global"

Config {
  protocol = "http"
  local_connect_timeout_ms = 0x3e8
  limits {
    max_connections = 0100
  }
  upstream = { name = "db", weight = 1.5e1 }
  routes { path = "/a" }
  routes { path = "/b" }
}
