Kind   = "jwt-provider"
Name   = "corpus-okta"
Issuer = "https://okta.example.com"
JSONWebKeySet {
  Remote {
    URI                 = "https://okta.example.com/keys"
    FetchAsynchronously = "true"
    RetryPolicy {
      NumRetries = "2"
      RetryPolicyBackOff {
        BaseInterval = "1s"
      }
    }
  }
}
Locations {
  Header {
    Name        = "Authorization"
    ValuePrefix = "Bearer "
  }
}
Forwarding {
  HeaderName = "x-jwt"
}
ClockSkewSeconds = "45"
