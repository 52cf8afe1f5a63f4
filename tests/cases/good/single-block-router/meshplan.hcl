# An entry of a kind meshplan does not model, written in the style of Consul's docs: a single
# `Routes { ... }` block, which Consul stores as a one-element list.
workspace = "single-block-router"

cluster "cluster-01" {}
