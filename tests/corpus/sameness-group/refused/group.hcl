Kind    = "sameness-group"
Name    = "corpus-group"
Members = [{ Peer = "corpus-peer" }]
