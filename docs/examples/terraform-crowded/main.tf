# A crowded Anbox subcluster as a Terraform root module (Juju provider ~> 1.3), the Terraform twin of
# ../crowded.yaml: AMS's API moved onto 443 beside the stream agent, the load balancer on the stream
# agent's machine, and LXD exposed as the Anbox docs expose it. The README runs `anbox-ports check`
# and `anbox-ports fix` on it.

terraform {
  required_providers {
    juju = {
      source  = "juju/juju"
      version = "~> 1.3.0"
    }
  }
}

resource "juju_model" "anbox" {
  name = "anbox"
}

resource "juju_machine" "control" {
  model_uuid = juju_model.anbox.uuid
  base       = "ubuntu@24.04"
}

resource "juju_machine" "lxd_node" {
  count      = 2
  model_uuid = juju_model.anbox.uuid
  base       = "ubuntu@24.04"
}

resource "juju_application" "ams" {
  name       = "ams"
  model_uuid = juju_model.anbox.uuid
  machines   = [juju_machine.control.machine_id]

  charm {
    name    = "ams"
    channel = "1.30/stable"
  }

  config = {
    use_embedded_etcd = "true"
    port              = "443"
  }
}

resource "juju_application" "agent" {
  name       = "anbox-stream-agent"
  model_uuid = juju_model.anbox.uuid
  machines   = [juju_machine.control.machine_id]

  charm {
    name    = "anbox-stream-agent"
    channel = "1.30/stable"
  }
}

resource "juju_application" "lb" {
  name       = "anbox-stream-gateway-lb"
  model_uuid = juju_model.anbox.uuid
  machines   = [juju_machine.control.machine_id]

  charm {
    name    = "haproxy"
    channel = "latest/stable"
  }

  config = {
    services = <<-HAPROXY
      - service_name: api_https
        service_host: "0.0.0.0"
        service_port: 443
      HAPROXY
  }
}

resource "juju_application" "lxd" {
  name       = "lxd"
  model_uuid = juju_model.anbox.uuid
  machines   = juju_machine.lxd_node[*].machine_id

  charm {
    name    = "ams-lxd"
    channel = "1.30/stable"
  }

  expose {}
}
