# L7 permissions need the destination to speak HTTP.
Kind     = "service-defaults"
Name     = "api"
Protocol = "http"
