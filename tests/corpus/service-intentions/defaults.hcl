Kind     = "service-defaults"
Name     = "corpus-l7"
Protocol = "http"
