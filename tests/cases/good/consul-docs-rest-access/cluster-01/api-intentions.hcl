Kind = "service-intentions"
Name = "api"
Sources = [
  {
    Name = "web"
    Permissions = [
      {
        Action = "allow"
        HTTP {
          PathExact = "/v1/orders"
          Methods   = ["GET", "PUT"]
        }
      }
    ]
  }
]
