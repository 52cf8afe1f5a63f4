# The service-intentions "REST access" example of Consul's docs, copied as it is written there:
# HCL1, with an `HTTP` block inside a list item, which HCL2 refuses.
workspace = "consul-docs-rest-access"

cluster "cluster-01" {}
