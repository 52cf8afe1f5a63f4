Kind     = "service-defaults"
Name     = "backend-service"
Protocol = "http"
