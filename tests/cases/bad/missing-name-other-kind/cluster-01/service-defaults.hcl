Kind     = "service-defaults"
Protocol = "http"
