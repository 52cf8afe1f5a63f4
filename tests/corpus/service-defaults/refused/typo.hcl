Kind    = "service-defaults"
Name    = "corpus-typo"
Protocl = "http"
