# Header flags as strings and numbers, which Consul's decoder reads as bools, and Meta values
# as numbers and bools, which it stores as text.
Kind = "service-intentions"
Name = "corpus-weak"
Meta = {
  version = 2
  canary  = true
  ratio   = 1.5
}
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
            Present = "true"
          }
          Header {
            Name       = "x-exact"
            Exact      = "v1"
            Invert     = "T"
            IgnoreCase = 1
          }
          Header {
            Name    = "x-off"
            Prefix  = "a"
            Invert  = "0"
          }
        }
      },
    ]
  },
]
