Kind = "proxy-defaults"
Name = "global"

# Blocks inside the opaque Config map: one block is an object, two make a list.
Config {
  protocol                 = "http"
  local_connect_timeout_ms = 1000
  limits {
    max_connections = 100
  }
  routes { path = "/a" }
  routes { path = "/b" }
  single = ["one"]
  text = <<EOF
first line
  EOF
}

MeshGateway {
  Mode = "local"
}

Expose {
  Checks = "true"
}

AccessLogs {
  Enabled = true
  Type    = "file"
  Path    = "/var/log/envoy.log"
}

EnvoyExtensions {
  Name = "builtin/lua"
  Arguments {
    ProxyType = "connect-proxy"
    Listener  = "inbound"
    Script    = "function envoy_on_request(h) end"
    Inner {
      Deeper = [{ Leaf = 1 }]
    }
  }
}
