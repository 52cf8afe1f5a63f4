# A service-router written as in Consul's docs: `Match` and `Destination` blocks inside the items
# of a `Routes` list, which HCL2 refuses and Consul's HCL1 reads.
workspace = "consul-docs-router"

cluster "cluster-01" {}
