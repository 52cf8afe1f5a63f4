Kind        = "file-system-certificate"
Name        = "corpus-cert"
Certificate = "/etc/ssl/corpus.pem" # a path on the gateway's host
PrivateKey  = "/etc/ssl/corpus.key"
