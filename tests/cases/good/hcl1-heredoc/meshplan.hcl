# Heredocs and literal `${...}` in config-entry files, read as Consul's HCL1 reads them.
workspace = "hcl1-heredoc"

cluster "cluster-01" {}
