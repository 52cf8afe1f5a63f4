# L7 intentions with header matches and JWT requirements, as in Consul's docs.
Kind = "service-intentions"
Name = "api"
JWT = {
  Providers = [
    { Name = "okta" }
  ]
}
Sources = [
  {
    Name = "admin-dashboard"
    Peer = "cluster-02"
    Permissions = [
      {
        Action = "allow"
        HTTP = {
          PathPrefix = "/v2"
          Methods    = ["GET", "PUT", "POST", "DELETE", "HEAD"]
        }
      }
    ]
  },
  {
    Name = "report-generator"
    Permissions = [
      {
        Action = "allow"
        HTTP = { PathExact = "/v2/widgets", Methods = ["GET"] }
      },
      {
        Action = "deny"
        HTTP = {
          PathRegex = "/v2/.*"
          Header = [
            { Name = "x-debug", Present = true },
            { Name = "x-env", Exact = "Prod", IgnoreCase = true, Invert = true },
            { Name = "user-agent", Contains = "curl" },
            { Name = "x-trace", Prefix = "abc" },
            { Name = "x-region", Suffix = "-east" },
            { Name = "x-version", Regex = "^v[0-9]+$" }
          ]
        }
        JWT = {
          Providers = [
            {
              Name = "okta"
              VerifyClaims = [
                { Path = ["perms", "role"], Value = "admin" }
              ]
            }
          ]
        }
      }
    ]
  },
  { Name = "*", Action = "deny" }
]
