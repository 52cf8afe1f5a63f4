Kind     = "service-defaults"
Name     = "frontend-service"
Protocol = "http"
meta = {
  team                 = "web"
  "managed-by"         = "meshplan"
  "meshplan-workspace" = "payments-mesh"
}
