Kind     = "service-defaults"
Name     = "corpus-weak"
Protocol = "http"
