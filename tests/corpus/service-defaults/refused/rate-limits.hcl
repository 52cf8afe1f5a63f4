Kind     = "service-defaults"
Name     = "corpus-limited"
Protocol = "http"
RateLimits {
  InstanceLevel {
    RequestsPerSecond = 10
  }
}
