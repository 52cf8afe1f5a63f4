Kind     = "service-defaults"
Name     = "frontend-service"
Protocol = "http"
