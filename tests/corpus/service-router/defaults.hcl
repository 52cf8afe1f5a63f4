Kind     = "service-defaults"
Name     = "corpus-router"
Protocol = "http"
