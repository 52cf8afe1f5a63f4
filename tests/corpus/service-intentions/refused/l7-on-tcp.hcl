# No service-defaults or proxy-defaults sets a protocol: the service is tcp.
Kind = "service-intentions"
Name = "corpus-plain-tcp"
Sources = [
  {
    Name = "corpus-web"
    Permissions = [
      {
        Action = "allow"
        HTTP { PathPrefix = "/" }
      }
    ]
  }
]
