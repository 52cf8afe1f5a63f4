kind = "service-defaults"
name = "corpus-db"
protocol = "tcp"
mesh_gateway {
  mode = "remote"
}
max_inbound_connections = 0x10
local_request_timeout_ms = "0"
