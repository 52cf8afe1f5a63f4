kind     = "service-defaults"
name     = "frontend-service"
protocol = "http"
