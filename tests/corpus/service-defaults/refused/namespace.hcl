Kind      = "service-defaults"
Name      = "corpus-ns"
Namespace = "shop"
Protocol  = "http"
