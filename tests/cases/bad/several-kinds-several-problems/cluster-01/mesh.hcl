Kind = "mesh"

TransparentProxy {
  MeshDestinationsOnly = "yes"
}

TLS {
  Incoming {
    TLSMinVersion = "TLSv1_2"
    CipherSuits   = ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"]
  }
}
