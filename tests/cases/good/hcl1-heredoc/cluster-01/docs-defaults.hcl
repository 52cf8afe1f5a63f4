// HCL1 heredocs: `<<EOF` keeps the text as written, `<<-EOF` strips the closing marker's
// indentation from every line; an indented closing `EOF` after `<<EOF` leaves its indentation at
// the end of the text. HCL1 does not evaluate `${...}`: Consul stores it as text.
Kind     = "service-defaults"
Name     = "docs"
Protocol = "http"

Meta {
  runbook = <<EOF
Restart with `systemctl restart docs`.
  Then check /health.
EOF
  summary = <<-EOT
    serves the handbook
      on port 8080
    EOT
  indented = <<EOF
    kept as written, and so are the two spaces before the closing marker
  EOF
  template = "https://${host}/docs"
  escaped  = "tab:\there, quote:\" caf\u00e9"
}
