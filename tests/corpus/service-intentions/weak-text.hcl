# Numbers and bools where text is expected, which Consul's decoder stores as their text: the
# names and the description of sources.
Kind = "service-intentions"
Name = "corpus-weak-text"
Sources = [
  {
    Name        = 7
    Peer        = "corpus-peer"
    Action      = "allow"
    Description = 3.5
  },
  {
    Name        = true
    Action      = "deny"
  },
]
