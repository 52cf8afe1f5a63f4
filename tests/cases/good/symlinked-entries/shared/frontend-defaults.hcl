# Shared by the clusters that run frontend-service; each links it into its folder.
Kind     = "service-defaults"
Name     = "frontend-service"
Protocol = "http"
