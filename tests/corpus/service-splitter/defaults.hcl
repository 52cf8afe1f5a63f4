Kind     = "service-defaults"
Name     = "corpus-split"
Protocol = "http"
