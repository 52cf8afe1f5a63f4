// Consul's docs style: blocks nested in list items.
Kind = "service-router"
Name = "corpus-router"
Routes = [
  {
    Match {
      HTTP {
        PathPrefix = "/admin"
        Methods    = ["get", "POST"]
        Header {
          Name    = "x-debug"
          Present = "true"
        }
        Header {
          Name  = "x-team"
          Exact = "ops"
        }
      }
    }
    Destination {
      Service               = "corpus-admin"
      NumRetries            = "3"
      RetryOnConnectFailure = "1"
      RequestTimeout        = "2s"
      RequestHeaders {
        Add {
          x-routed = "yes"
        }
        Remove = "x-secret"
      }
    }
  },
  {
    Match { HTTP { PathExact = "/" } }
    Destination { Service = "corpus-router" }
  },
]
