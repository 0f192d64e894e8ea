"""Who may talk to whom in the namespace (NetworkPolicies), and the way in from outside (the Ingress, TLS).

Everything is denied, then allowed one path at a time:
- the ingress controller's namespace → the gateway (8000); the gateway → each service (8000); case_intake →
  grid (it resolves a filed point to a grid); the gateway → HTTPS anywhere (the SMS provider's webhook);
- every app pod → NATS (4222) and PostgreSQL (5432); NATS ↔ NATS (6222, the cluster routes); the migrate
  job → PostgreSQL; every pod → the cluster DNS.
NATS's monitoring port is not in any policy nor in its Service: it listens on the pod's loopback only.
PostgreSQL is expected as pods labelled `app: postgres` in the namespace; for a database outside the cluster,
replace the `postgres` peer by an `ipBlock` of its address (docs/operations.md).
"""

from deploy.bus import CLIENT_PORT, CLUSTER_PORT
from deploy.common import PORT, dns_name, meta
from shared.config import SERVICES

INGRESS_NAMESPACE = "ingress-nginx"
INGRESS_CLASS = "nginx"
PUBLIC_HOST = "deputies.example.org"
"""The gateway's public name: replace it (and make the `gateway-tls` certificate for it)."""
POSTGRES_PORT = 5432
APPS = [*map(dns_name, SERVICES), "gateway"]


def _app(*names: str) -> dict:
    if len(names) == 1:
        return {"matchLabels": {"app": names[0]}}
    return {"matchExpressions": [{"key": "app", "operator": "In", "values": list(names)}]}


def _tcp(*ports: int) -> list[dict]:
    return [{"protocol": "TCP", "port": port} for port in ports]


def _policy(name: str, selector: dict, *, ingress: list[dict] | None = None, egress: list[dict] | None = None) -> dict:
    types = [kind for kind, rules in (("Ingress", ingress), ("Egress", egress)) if rules is not None]
    spec: dict = {"podSelector": selector, "policyTypes": types}
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta(name), "spec": spec}


def network_policies() -> list[dict]:
    pods = {"podSelector": _app(*APPS)}
    nats = {"podSelector": _app("nats")}
    postgres = {"podSelector": _app("postgres")}
    dns = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
    }
    from_ingress = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": INGRESS_NAMESPACE}}}
    policies = [
        _policy("default-deny", {}, ingress=[], egress=[]),
        _policy(
            "dns",
            {},
            egress=[{"to": [dns], "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}],
        ),
        _policy("gateway-from-ingress", _app("gateway"), ingress=[{"from": [from_ingress], "ports": _tcp(PORT)}]),
    ]
    for name in map(dns_name, SERVICES):
        callers = [{"podSelector": _app("gateway")}]
        if name == "grid":
            callers.append({"podSelector": _app(dns_name("case_intake"))})
        policies.append(_policy(f"{name}-from-gateway", _app(name), ingress=[{"from": callers, "ports": _tcp(PORT)}]))
    policies += [
        _policy(
            "apps-to-nats-and-postgres",
            _app(*APPS),
            egress=[{"to": [nats], "ports": _tcp(CLIENT_PORT)}, {"to": [postgres], "ports": _tcp(POSTGRES_PORT)}],
        ),
        _policy(
            "gateway-to-services-and-sms",
            _app("gateway"),
            egress=[
                {"to": [{"podSelector": _app(*map(dns_name, SERVICES))}], "ports": _tcp(PORT)},
                {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": _tcp(443)},
            ],
        ),
        _policy(
            "case-intake-to-grid",
            _app(dns_name("case_intake")),
            egress=[{"to": [{"podSelector": _app("grid")}], "ports": _tcp(PORT)}],
        ),
        _policy(
            "nats-clients-and-routes",
            _app("nats"),
            ingress=[{"from": [pods], "ports": _tcp(CLIENT_PORT)}, {"from": [nats], "ports": _tcp(CLUSTER_PORT)}],
            egress=[{"to": [nats], "ports": _tcp(CLUSTER_PORT)}],
        ),
        _policy("migrate-to-postgres", _app("migrate"), egress=[{"to": [postgres], "ports": _tcp(POSTGRES_PORT)}]),
        _policy(
            "postgres-from-apps",
            _app("postgres"),
            ingress=[{"from": [pods, {"podSelector": _app("migrate")}], "ports": _tcp(POSTGRES_PORT)}],
        ),
    ]
    return policies


def ingress() -> dict:
    """HTTPS only (the certificate in the `gateway-tls` secret), to the gateway; live streams unbuffered."""
    annotations = {
        "nginx.ingress.kubernetes.io/ssl-redirect": "true",
        "nginx.ingress.kubernetes.io/force-ssl-redirect": "true",
        "nginx.ingress.kubernetes.io/proxy-body-size": "13m",  # the gateway refuses more than 12 MiB itself
        "nginx.ingress.kubernetes.io/proxy-buffering": "off",  # server-sent events
        "nginx.ingress.kubernetes.io/proxy-read-timeout": "3600",
    }
    backend = {"service": {"name": "gateway", "port": {"number": PORT}}}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": meta("gateway", annotations=annotations),
        "spec": {
            "ingressClassName": INGRESS_CLASS,
            "tls": [{"hosts": [PUBLIC_HOST], "secretName": "gateway-tls"}],
            "rules": [
                {
                    "host": PUBLIC_HOST,
                    "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]},
                }
            ],
        },
    }
