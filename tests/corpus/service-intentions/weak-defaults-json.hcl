Kind     = "service-defaults"
Name     = "corpus-weak-json"
Protocol = "http"
