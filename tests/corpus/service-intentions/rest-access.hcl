/* The REST Access example's shape: blocks inside list items. */
Kind = "service-intentions"
Name = "corpus-l7"
Sources = [
  {
    Name = "corpus-web"
    Permissions = [
      {
        Action = "allow"
        HTTP {
          PathExact = "/"
          Methods   = ["get", "head"]
        }
      },
      {
        Action = "deny"
        HTTP {
          PathPrefix = "/admin"
          Header {
            Name    = "x-admin"
            Present = true
          }
        }
      },
    ]
  },
  {
    Name   = "corpus-peered"
    Peer   = "corpus-peer"
    Action = "allow"
  },
]
