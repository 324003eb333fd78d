# dtle-compat as a Nomad system job on the Nomad servers: one instance per server node, restarted
# by Nomad, scaling out with the cluster. Legacy clients use port 8190 of any server.
#
# Requires the raw_exec driver on the servers' client agents (plugin "raw_exec" { config { enabled = true } })
# and dtle-compat installed on those hosts (npm install -g dtle-compat-<version>.tgz).
# The dtle plugin's own api_addr must not be 8190 on these hosts.
job "dtle-compat" {
  type        = "system"
  datacenters = ["dc1"]
  priority    = 80

  constraint {
    # only where a Nomad server runs (its agent reports the server's raft attributes)
    attribute = "${meta.nomad_server}"
    value     = "true"
  }

  group "dtle-compat" {
    network {
      port "api" {
        static = 8190
      }
    }

    restart {
      attempts = 10
      interval = "5m"
      delay    = "5s"
      mode     = "delay"
    }

    task "dtle-compat" {
      driver = "raw_exec"

      config {
        command = "/usr/bin/env"
        args    = ["dtle-compat", "--log-format", "json"]
      }

      env {
        DTLE_API_ADDR = "${NOMAD_IP_api}:8190"
        NOMAD_ADDR    = "http://127.0.0.1:4646"
        # NOMAD_TOKEN comes from a Nomad Variable through the template below
      }

      template {
        data        = <<-EOT
        {{- with nomadVar "nomad/jobs/dtle-compat" -}}
        NOMAD_TOKEN={{ .token }}
        {{- end -}}
        EOT
        destination = "secrets/token.env"
        env         = true
      }

      kill_signal  = "SIGTERM"
      kill_timeout = "30s"

      service {
        name     = "dtle-compat"
        port     = "api"
        provider = "nomad"

        check {
          type     = "http"
          path     = "/-/ready"
          interval = "10s"
          timeout  = "2s"
        }
      }

      resources {
        cpu    = 200
        memory = 256
      }
    }
  }
}
