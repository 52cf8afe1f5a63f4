# Blocks inside an opaque map (proxy-defaults `Config`), where no typed field says what shape
# they have: Consul's HCL1 reading and meshplan's must store the same thing.
workspace = "hcl1-opaque-config"

cluster "cluster-01" {}
