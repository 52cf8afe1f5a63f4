# Nested blocks, repeated blocks that make a list, and all three comment kinds.
Kind     = "service-defaults"
Name     = "corpus-web"
Protocol = "http" // the protocol routers and L7 intentions need
/* MaxInboundConnections is an int in Consul's struct:
   the string converts */
MaxInboundConnections = "12"
BalanceInboundConnections = "exact_balance"

TransparentProxy {
  OutboundListenerPort = "15001"
  DialedDirectly       = "true"
}

UpstreamConfig {
  Defaults {
    ConnectTimeoutMs = 5000
    Limits {
      MaxConnections = "10"
    }
    PassiveHealthCheck {
      Interval    = "10s"
      MaxFailures = 3
    }
  }
  Overrides {
    Name     = "corpus-api"
    Protocol = "http"
  }
  Overrides {
    Name             = "corpus-db"
    ConnectTimeoutMs = "250"
  }
}

Expose {
  Checks = true
  Paths = [
    {
      Path          = "/health"
      LocalPathPort = 8080
      ListenerPort  = 21500
    }
  ]
}

EnvoyExtensions = [
  {
    Name = "builtin/lua"
    Arguments {
      ProxyType = "connect-proxy"
      Listener  = "inbound"
      Script    = <<-EOF
        function envoy_on_request(handle)
          handle:logInfo("hello")
        end
        EOF
    }
  }
]

Meta {
  team    = "corpus"
  count   = 3
  enabled = true
}
