# A flag no Go bool parser reads: Consul refuses it, and so does meshplan, at the value.
Kind = "service-intentions"
Name = "corpus-l7"
Sources = [
  {
    Name = "corpus-web"
    Permissions = [
      {
        Action = "allow"
        HTTP {
          PathPrefix = "/"
          Header {
            Name    = "x-present"
            Present = "yes"
          }
        }
      },
    ]
  },
]
