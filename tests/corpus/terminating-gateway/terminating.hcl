Kind = "terminating-gateway"
Name = "corpus-terminating"
Services {
  Name   = "corpus-legacy"
  CAFile = "/etc/ssl/ca.pem"
  SNI    = "legacy.example.com"
}
Services {
  Name = "corpus-billing"
}
