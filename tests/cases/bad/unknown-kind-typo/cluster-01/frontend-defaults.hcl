Kind     = "service-defualts"
Name     = "frontend-service"
Protocol = "http"
