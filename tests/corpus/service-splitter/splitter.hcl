Kind = "service-splitter"
Name = "corpus-split"
# Repeated blocks make the list of splits.
Splits {
  Weight        = "90"
  ServiceSubset = "v1"
  RequestHeaders {
    Set { x-split = "v1" }
  }
}
Splits {
  Weight  = 10.0
  Service = "corpus-split"
}
