Kind    = "service-defaults"
Name    = "web"
Protocl = "http"
