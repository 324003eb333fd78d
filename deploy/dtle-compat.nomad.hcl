# dtle-compat as a Nomad system job on the Nomad servers: one instance per server node, restarted
# by Nomad, scaling out with the cluster. Legacy clients use port 8190 of any server.
#
# Requires, on each server host:
#   - a Nomad client agent (servers run one too) with `meta { nomad_server = "true" }` in its client
#     block: Nomad reports no attribute that tells a server's host apart, so mark them;
#   - the raw_exec driver enabled (plugin "raw_exec" { config { enabled = true } });
#   - dtle-compat installed (npm install -g ./dtle-compat-<version>.tgz);
#   - the dtle plugin's own api_addr not on 8190 (empty, or another port).
# With ACLs, put the token for dtle-compat in the Nomad Variable nomad/jobs/dtle-compat (item
# "token"): nomad var put nomad/jobs/dtle-compat token=<secret id>. Without ACLs, leave it out.
# With TLS on Nomad's HTTP API, set NOMAD_ADDR to https://… and NOMAD_CACERT & co. in env below.
job "dtle-compat" {
  type        = "system"
  datacenters = ["dc1"]
  priority    = 80

  constraint {
    # only on the hosts marked as Nomad servers (client meta nomad_server = "true")
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
        # the job's own variable (readable by its workload identity); absent: no token
        data        = <<-EOT
        {{- if nomadVarExists "nomad/jobs/dtle-compat" -}}
        {{- with nomadVar "nomad/jobs/dtle-compat" -}}
        NOMAD_TOKEN={{ .token }}
        {{- end -}}
        {{- end -}}
        EOT
        destination = "secrets/token.env"
        env         = true
      }

      # SIGTERM: stop accepting, finish in-flight requests (shutdown_timeout_ms), exit 0
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
