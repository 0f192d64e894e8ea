"""deploy/: the Kubernetes manifests are valid and complete, compose and k8s name real settings and paths, and
the deployment is locked down: only the gateway holds the signing key, each pod its own NATS user and database
role, a default-deny network with the few paths the system needs, TLS at the ingress and on the bus, pods that
are not root and cannot write their root file system, no NATS monitoring port outside its pod."""

import ipaddress
import json
import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from deploy import bus, database, make_secrets, policies, render_k8s
from devstack.natsauth import permissions
from gateway.settings import GatewaySettings
from services.notification.policy import NotificationPolicy
from shared.migrations import SERVICES

DEPLOY = Path(render_k8s.__file__).parent
KUBERNETES_VERSION = "1.30.0"
APPS = [*map(render_k8s.dns_name, SERVICES), "gateway"]


def documents() -> list[dict]:
    return [document for docs in render_k8s.rendered().values() for document in docs]


def one(kind: str, name: str) -> dict:
    return next(d for d in documents() if d["kind"] == kind and d["metadata"]["name"] == name)


def pod_specs() -> dict[str, dict]:
    """Every pod template: Deployments, the NATS StatefulSet and the migrate Job, by name."""
    kinds = ("Deployment", "StatefulSet", "Job")
    return {d["metadata"]["name"]: d["spec"]["template"]["spec"] for d in documents() if d["kind"] in kinds}


def containers(spec: dict) -> list[dict]:
    return [*spec.get("initContainers", []), *spec["containers"]]


@pytest.fixture(scope="module")
def made() -> make_secrets.Secrets:
    return make_secrets.Secrets(otp_webhook_url="https://sms.example/send")


def test_the_committed_files_are_the_rendered_ones():
    """After a change to deploy/render_k8s.py (or the permission table), run `python -m deploy.render_k8s`."""
    for path, text in render_k8s.rendered_files().items():
        assert path.read_text(encoding="utf-8") == text, path


@pytest.mark.parametrize("document", documents(), ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_every_manifest_is_valid_kubernetes(document):
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_the_secrets_made_for_them_are_valid_kubernetes(made):
    for document in make_secrets.kubernetes_documents(made):
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_every_process_has_a_deployment_service_autoscaler_and_disruption_budget():
    kinds: dict[str, set[str]] = {}
    for document in documents():
        kinds.setdefault(document["metadata"]["name"], set()).add(document["kind"])
    for name in APPS:
        assert {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"} <= kinds[name]
    assert kinds["gateway"] - {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"} == {"Ingress"}
    assert kinds["nats"] == {"StatefulSet", "Service", "PodDisruptionBudget"} and kinds["nats-config"] == {"ConfigMap"}


def _env_names(container: dict) -> set[str]:
    return {item["name"] for item in container.get("env", [])}


def test_environment_names_are_settings_the_code_reads():
    fields = set(GatewaySettings.model_fields) | set(NotificationPolicy.model_fields)
    names = set(one("ConfigMap", "platform")["data"])
    for document in documents():
        if document["kind"] == "Deployment":
            names |= _env_names(document["spec"]["template"]["spec"]["containers"][0])
    names |= _env_names(pod_specs()["migrate"]["containers"][0])
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    for service in compose["services"].values():
        if isinstance(service.get("environment"), dict) and "SERVICE_NAME" in service["environment"]:
            names |= set(service["environment"])
    assert {name.lower() for name in names} <= fields


def test_probes_point_at_paths_every_app_serves():
    from tests.contract.test_service_contracts import _openapi

    for name in SERVICES:
        assert {"/healthz", "/readyz"} <= set(_openapi(name)["paths"]), name
    for document in documents():
        if document["kind"] == "Deployment":
            container = document["spec"]["template"]["spec"]["containers"][0]
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_compose_runs_every_service_with_replicas_and_a_three_node_nats():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    for name in [*SERVICES, "gateway"]:
        assert compose[name]["deploy"]["replicas"] >= 2, name
    assert {"nats-1", "nats-2", "nats-3", "postgres", "migrate", "database-roles"} <= set(compose)


def test_jetstream_syncs_every_write():
    assert "sync_interval: always" in (DEPLOY / "nats" / "nats.conf").read_text()
    nats = one("ConfigMap", "nats-config")
    assert "nats-2.nats:6222" in nats["data"]["nats.conf"]
    assert json.dumps(nats).count("sync_interval: always") == 1


# --- keys: only the gateway signs ------------------------------------------------------------------------


def _mounted(spec: dict) -> set[str]:
    """The secrets and config maps a pod can read (volumes and environment)."""
    names = {v["secret"]["secretName"] for v in spec.get("volumes", []) if "secret" in v}
    names |= {v["configMap"]["name"] for v in spec.get("volumes", []) if "configMap" in v}
    for container in containers(spec):
        names |= {ref["secretRef"]["name"] for ref in container.get("envFrom", []) if "secretRef" in ref}
        for item in container.get("env", []):
            if "secretKeyRef" in item.get("valueFrom", {}):
                names.add(item["valueFrom"]["secretKeyRef"]["name"])
    return names


def test_only_the_gateway_mounts_the_token_signing_private_key():
    holders = [name for name, spec in pod_specs().items() if "token-signing-key" in _mounted(spec)]
    assert holders == ["gateway"]
    for name in map(render_k8s.dns_name, SERVICES):
        assert "token-public-keys" in _mounted(pod_specs()[name]), name
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    holders = [
        name for name, service in compose.items() if any("token-signing.pem:" in v for v in service.get("volumes", []))
    ]
    assert holders == ["gateway"]


def test_the_private_key_is_in_no_config_map_and_the_public_key_is_the_pair_of_it(made):
    from shared.auth import public_key_of

    made_documents = make_secrets.kubernetes_documents(made)
    private = next(d for d in made_documents if d["metadata"]["name"] == "token-signing-key")
    public = next(d for d in made_documents if d["metadata"]["name"] == "token-public-keys")
    assert private["kind"] == "Secret" and public["kind"] == "ConfigMap"
    pem = private["stringData"][render_k8s.PRIVATE_KEY_FILE].encode()
    assert public_key_of(pem).decode() == public["data"][render_k8s.PUBLIC_KEY_FILE]
    for document in made_documents:
        if document["kind"] == "ConfigMap":
            assert "PRIVATE KEY" not in json.dumps(document), document["metadata"]["name"]


# --- credentials: each process its own --------------------------------------------------------------------


@pytest.mark.parametrize("process", [*SERVICES, "gateway"])
def test_each_process_connects_with_its_own_nats_user_and_database_role(process, made):
    spec = pod_specs()[render_k8s.dns_name(process)]
    env = {item["name"]: item for item in spec["containers"][0]["env"]}
    assert env["NATS_USER"]["value"] == process
    assert env["NATS_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": bus.secret_name(process), "key": "password"}
    url = env["DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    assert url == {"name": database.secret_name(process), "key": "url"}
    secret = next(d for d in make_secrets.kubernetes_documents(made) if d["metadata"]["name"] == url["name"])
    assert secret["stringData"]["url"].startswith(f"postgresql+asyncpg://{process}:")
    assert not any("secretRef" in ref for ref in spec["containers"][0]["envFrom"])  # no secret shared by all
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"][process]["environment"]
    assert compose["NATS_USER"] == process and compose["DATABASE_URL"].startswith(f"postgresql+asyncpg://{process}:")


def test_no_pod_reads_another_process_credentials():
    for pod, spec in pod_specs().items():
        readable = _mounted(spec)
        nats_users = {name for name in readable if name.startswith("nats-user-")}
        roles = {name for name in readable if name.startswith("db-")}
        if pod in APPS:
            assert nats_users == {f"nats-user-{pod}"} and roles == {f"db-{pod}"}, pod
            assert database.ADMIN_SECRET not in readable
        elif pod == "nats":
            assert nats_users == {bus.secret_name(user) for user in permissions()} and not roles
        else:
            assert pod == "migrate" and not nats_users and database.ADMIN_SECRET in readable


def test_every_secret_and_key_the_manifests_name_is_made(made):
    have = {
        d["metadata"]["name"]: set(d.get("stringData") or d.get("data") or {})
        for d in make_secrets.kubernetes_documents(made)
    }
    for name, spec in pod_specs().items():
        for volume in spec.get("volumes", []):
            source = volume.get("secret", {}).get("secretName") or volume.get("configMap", {}).get("name")
            if source and source not in {"nats-config", "database-roles"}:
                assert source in have, (name, source)
        for container in containers(spec):
            for item in container.get("env", []):
                if ref := item.get("valueFrom", {}).get("secretKeyRef"):
                    assert ref["key"] in have[ref["name"]], (name, ref)
    tls = one("Ingress", "gateway")["spec"]["tls"][0]["secretName"]
    assert tls == "gateway-tls"  # the public certificate: the operator's (docs/operations.md), not made here


def test_the_nats_servers_know_every_user_by_a_password_from_its_own_secret():
    config = one("ConfigMap", "nats-config")["data"]["nats.conf"]
    env = {item["name"]: item for item in pod_specs()["nats"]["containers"][0]["env"]}
    for user in permissions():
        variable = f"NATS_PASSWORD_{user.upper()}"
        assert f'{{user: "{user}", password: ${variable}, ' in config
        assert env[variable]["valueFrom"]["secretKeyRef"] == {"name": bus.secret_name(user), "key": "password"}
    assert "no_auth_user" not in config and "authorization {" in config


def test_the_bus_is_tls_only_for_clients_and_mutual_tls_between_nodes():
    for config in (one("ConfigMap", "nats-config")["data"]["nats.conf"], (DEPLOY / "nats" / "nats.conf").read_text()):
        client_tls = config[config.index("\ntls {") : config.index("}", config.index("\ntls {"))]
        assert "handshake_first: true" in client_tls and "tls.crt" in client_tls
        cluster = config[config.index("cluster {") :]
        route_tls = cluster[cluster.index("tls {") : cluster.index("}")]
        assert "verify: true" in route_tls and "ca.crt" in route_tls
    platform = one("ConfigMap", "platform")["data"]
    assert platform["NATS_TLS_CA_FILE"] and all(url.startswith("tls://") for url in platform["NATS_URL"].split(","))


def test_the_nats_monitoring_port_stays_inside_its_pod():
    config = one("ConfigMap", "nats-config")["data"]["nats.conf"]
    assert re.search(r"^http: 127\.0\.0\.1:8222", config, re.MULTILINE)
    ports = [port["port"] for port in one("Service", "nats")["spec"]["ports"]]
    assert 8222 not in ports
    container = pod_specs()["nats"]["containers"][0]
    assert 8222 not in [port["containerPort"] for port in container["ports"]]
    assert "8222" not in json.dumps([d for d in documents() if d["kind"] == "NetworkPolicy"])
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    assert not any("ports" in compose[f"nats-{index}"] for index in (1, 2, 3))


# --- pods -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("pod", sorted(pod_specs()))
def test_every_container_runs_unprivileged_on_a_read_only_root(pod):
    spec = pod_specs()[pod]
    assert spec["automountServiceAccountToken"] is False
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    for container in containers(spec):
        context = container["securityContext"]
        assert context["runAsNonRoot"] is True and context["runAsUser"] > 0, container["name"]
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert context["readOnlyRootFilesystem"] is True


def test_the_migrate_job_makes_the_roles_first_as_the_owner_then_migrates():
    spec = pod_specs()["migrate"]
    (roles,), (migrate,) = spec["initContainers"], spec["containers"]
    assert roles["command"][:1] == ["psql"] and "/sql/roles.sql" in roles["command"]
    assert not any("PASSWORD" in part for part in roles["command"])  # passwords from the environment only
    env = {item["name"]: item for item in roles["env"]}
    assert set(env) == {"PGPASSWORD", *map(database.password_variable, database.PROCESSES)}
    assert migrate["env"][0]["valueFrom"]["secretKeyRef"] == {"name": database.ADMIN_SECRET, "key": "url"}


def test_each_role_gets_its_own_schema_only():
    sql = database.roles_sql()
    for process in database.PROCESSES:
        grants = re.findall(rf"^(?:GRANT|ALTER DEFAULT PRIVILEGES).* TO {process};$", sql, re.MULTILINE)
        assert grants and all(f"SCHEMA {process} " in g or "ON DATABASE" in g for g in grants), process
    assert "SUPERUSER" not in sql.replace("NOSUPERUSER", "")
    assert "REVOKE CREATE ON SCHEMA public FROM PUBLIC;" in sql


# --- the network --------------------------------------------------------------------------------------------

INGRESS_NS = {"kubernetes.io/metadata.name": policies.INGRESS_NAMESPACE}
HERE = {"kubernetes.io/metadata.name": render_k8s.NAMESPACE}


def _selects(selector: dict, labels: dict) -> bool:
    if any(labels.get(key) != value for key, value in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In"
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


def _peer_matches(peer: dict, labels: dict, namespace: dict, address: str) -> bool:
    if "ipBlock" in peer:
        return ipaddress.ip_address(address) in ipaddress.ip_network(peer["ipBlock"]["cidr"])
    in_namespace = _selects(peer["namespaceSelector"], namespace) if "namespaceSelector" in peer else namespace == HERE
    return in_namespace and _selects(peer.get("podSelector", {}), labels)


def _allowed(direction: str, pod: dict, peer_labels: dict, peer_namespace: dict, port: int, address: str) -> bool:
    """Whether the namespace's policies let `pod` (labels) take (Ingress) or make (Egress) this connection."""
    chosen = [
        p["spec"]
        for p in documents()
        if p["kind"] == "NetworkPolicy"
        and direction in p["spec"]["policyTypes"]
        and _selects(p["spec"]["podSelector"], pod)
    ]
    assert chosen, f"no policy covers {pod} for {direction}: not default-deny"
    key, peers = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    return any(
        any(_peer_matches(peer, peer_labels, peer_namespace, address) for peer in rule.get(peers, []))
        and any(p["port"] == port for p in rule.get("ports", []))
        for spec in chosen
        for rule in spec.get(key, [])
    )


def reachable(source: str, target: str, port: int) -> bool:
    """One pod (`app` label) → another in the namespace, both ends' policies considered."""
    a, b = {"app": source}, {"app": target}
    return _allowed("Egress", a, b, HERE, port, "10.1.2.3") and _allowed("Ingress", b, a, HERE, port, "10.1.2.4")


def test_the_network_denies_everything_not_allowed():
    deny = one("NetworkPolicy", "default-deny")["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [], "egress": []}


@pytest.mark.parametrize(
    ("source", "target", "port", "allowed"),
    [
        ("gateway", "grid", 8000, True),
        ("gateway", "case-intake", 8000, True),
        ("case-intake", "grid", 8000, True),
        ("deputy", "grid", 8000, False),
        ("grid", "deputy", 8000, False),
        ("case-intake", "deputy", 8000, False),
        ("micro-funding", "gateway", 8000, False),
        ("grid", "nats", 4222, True),
        ("gateway", "nats", 4222, True),
        ("gateway", "nats", 8222, False),
        ("nats", "nats", 6222, True),
        ("grid", "nats", 6222, False),
        ("grid", "postgres", 5432, True),
        ("migrate", "postgres", 5432, True),
        ("migrate", "nats", 4222, False),
        ("nats", "postgres", 5432, False),
        ("postgres", "grid", 8000, False),
    ],
)
def test_pods_reach_only_what_they_need(source, target, port, allowed):
    assert reachable(source, target, port) is allowed


def test_from_outside_only_the_ingress_controller_reaches_only_the_gateway():
    controller, outsider = {"app": "ingress-nginx"}, {"app": "anything"}
    assert _allowed("Ingress", {"app": "gateway"}, controller, INGRESS_NS, 8000, "10.9.0.1")
    assert not _allowed(
        "Ingress", {"app": "gateway"}, outsider, {"kubernetes.io/metadata.name": "other"}, 8000, "10.9.0.2"
    )
    for app in [*APPS, "nats"]:
        if app != "gateway":
            assert not _allowed("Ingress", {"app": app}, controller, INGRESS_NS, 8000, "10.9.0.1"), app
    assert not _allowed("Egress", {"app": "grid"}, {}, {}, 443, "203.0.113.5")  # no way out to the internet
    assert _allowed("Egress", {"app": "gateway"}, {}, {}, 443, "203.0.113.5")  # the SMS provider's webhook


def test_the_ingress_serves_the_gateway_over_tls_only():
    ingress = one("Ingress", "gateway")
    assert ingress["spec"]["tls"] == [{"hosts": [policies.PUBLIC_HOST], "secretName": "gateway-tls"}]
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == policies.PUBLIC_HOST
    assert {path["backend"]["service"]["name"] for path in rule["http"]["paths"]} == {"gateway"}
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/force-ssl-redirect"] == "true"


def test_generated_passwords_are_read_by_nats_server_as_text_not_as_numbers():
    """nats-server reads a `$VARIABLE` in its configuration as a token: one starting with a digit or "-" is taken
    for a number and the server refuses to start (a random password did that one time in ~15)."""
    assert all(make_secrets._password()[0].isalpha() for _ in range(500))
