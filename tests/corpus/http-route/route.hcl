Kind = "http-route"
Name = "corpus-route"
Parents {
  Kind        = "api-gateway"
  Name        = "corpus-gateway"
  SectionName = "http"
}
Rules = [
  {
    Matches = [
      {
        Path {
          Match = "prefix"
          Value = "/"
        }
      }
    ]
    Filters {
      Headers {
        Add { x-route = "corpus" }
      }
      TimeoutFilter {
        RequestTimeout = "2s"
      }
    }
    Services {
      Name   = "corpus-web"
      Weight = "1"
    }
  }
]
Hostnames = "corpus.example.com"
