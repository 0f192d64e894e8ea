"""`python -m deploy.render_k8s` writes deploy/k8s/*.yaml: every service, the gateway, NATS, a migration job.

The manifests are generated so that the six deployments cannot drift apart; a test checks the committed
files against this renderer and validates them against the Kubernetes schemas.
"""

import json
from pathlib import Path

from shared.config import SERVICES

NAMESPACE = "deputies"
IMAGE = "deputies-in-the-grid:1.0.0"
FOLDER = Path(__file__).parent / "k8s"
NATS_CONF = Path(__file__).parent / "nats" / "nats.conf"
PORT = 8000


def dns_name(name: str) -> str:
    return name.replace("_", "-")


def _meta(name: str, **extra: object) -> dict:
    return {"name": name, "namespace": NAMESPACE, "labels": {"app": name}, **extra}


def _uvicorn(target: str) -> list[str]:
    return ["python", "-m", "uvicorn", target, "--factory", "--host", "0.0.0.0", "--port", str(PORT)]


def _container(name: str, target: str, env: list[dict]) -> dict:
    probe = {"httpGet": {"port": PORT}, "periodSeconds": 10, "timeoutSeconds": 3}
    return {
        "name": dns_name(name),
        "image": IMAGE,
        "command": _uvicorn(target),
        "ports": [{"containerPort": PORT, "name": "http"}],
        "envFrom": [{"configMapRef": {"name": "platform"}}, {"secretRef": {"name": "platform"}}],
        "env": env,
        "readinessProbe": {**probe, "httpGet": {**probe["httpGet"], "path": "/readyz"}},
        "livenessProbe": {**probe, "httpGet": {**probe["httpGet"], "path": "/healthz"}, "failureThreshold": 6},
        "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
        "volumeMounts": [{"name": "keys", "mountPath": "/keys", "readOnly": True}],
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "allowPrivilegeEscalation": False},
    }


def workload(name: str, target: str, env: list[dict], replicas: int = 2) -> list[dict]:
    """Deployment, Service, HorizontalPodAutoscaler and PodDisruptionBudget of one process kind."""
    label = dns_name(name)
    selector = {"matchLabels": {"app": label}}
    pod = {
        "metadata": {"labels": {"app": label}},
        "spec": {
            "containers": [_container(name, target, env)],
            "volumes": [{"name": "keys", "secret": {"secretName": "token-keys"}}],
        },
    }
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": _meta(label),
            "spec": {"replicas": replicas, "selector": selector, "template": pod},
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": _meta(label),
            "spec": {"selector": {"app": label}, "ports": [{"port": PORT, "targetPort": "http", "name": "http"}]},
        },
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": _meta(label),
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": label},
                "minReplicas": replicas,
                "maxReplicas": 10,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
                    }
                ],
            },
        },
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": _meta(label),
            "spec": {"minAvailable": 1, "selector": selector},
        },
    ]


def service_manifests(name: str) -> list[dict]:
    env = [{"name": "SERVICE_NAME", "value": name}, {"name": "DATABASE_SCHEMA", "value": name}]
    if name == "case_intake":  # it resolves a filed point to a grid by asking the grid service
        env.append({"name": "GRID_URL", "value": f"http://{dns_name('grid')}:{PORT}"})
    documents = workload(name, f"services.{name}.app:create_app", env)
    if name == "notification":  # its VAPID key and SMS provider credentials come from a secret of its own
        container = documents[0]["spec"]["template"]["spec"]["containers"][0]
        container["envFrom"].append({"secretRef": {"name": "notification-credentials"}})
        documents.insert(0, notification_secret())
    return documents


def notification_secret() -> dict:
    """Placeholders: the operator sets them (README, Notifications: VAPID keys and the SMS provider)."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _meta("notification-credentials"),
        "type": "Opaque",
        "stringData": {
            "VAPID_PRIVATE_KEY": "REPLACE-ME: a PEM EC P-256 private key",
            "VAPID_SUBJECT": "mailto:REPLACE-ME",
            "SMS_PROVIDER": "aliyun",
            "SMS_SIGNATURE": "REPLACE-ME: the approved signature",
            "ALIYUN_ACCESS_KEY_ID": "REPLACE-ME",
            "ALIYUN_ACCESS_KEY_SECRET": "REPLACE-ME",
            "ALIYUN_SMS_TEMPLATES": '{"case_routed": "SMS_REPLACE-ME"}',
        },
    }


def gateway_manifests() -> list[dict]:
    env = [
        {"name": "SERVICE_NAME", "value": "gateway"},
        {"name": "DATABASE_SCHEMA", "value": "gateway"},
        {"name": "TOKEN_PRIVATE_KEY_FILE", "value": "/keys/token-signing.pem"},
    ]
    env += [{"name": f"{name.upper()}_URL", "value": f"http://{dns_name(name)}:{PORT}"} for name in SERVICES]
    return workload("gateway", "gateway.app:create_app", env)


def platform_config() -> list[dict]:
    nats_urls = ",".join(f"nats://nats-{index}.nats:4222" for index in range(3))
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}},
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _meta("platform"),
            "data": {
                "ENVIRONMENT": "production",
                "NATS_URL": nats_urls,
                "NATS_STREAM_REPLICAS": "3",
                "TOKEN_PUBLIC_KEY_FILE": "/keys/token-signing.pub.pem",
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": _meta("platform"),
            "type": "Opaque",
            "stringData": {"DATABASE_URL": "postgresql+asyncpg://deputies:REPLACE-ME@postgres:5432/deputies"},
        },
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": _meta("migrate"),
            "spec": {
                "backoffLimit": 3,
                "template": {
                    "spec": {
                        "restartPolicy": "OnFailure",
                        "containers": [
                            {
                                "name": "migrate",
                                "image": IMAGE,
                                "command": ["python", "-m", "shared.migrations", "--schema-per-service"],
                                "envFrom": [
                                    {"configMapRef": {"name": "platform"}},
                                    {"secretRef": {"name": "platform"}},
                                ],
                            }
                        ],
                    }
                },
            },
        },
    ]


def nats_config() -> str:
    routes = "\n".join(f"    nats-route://nats-{index}.nats:6222" for index in range(3))
    text = NATS_CONF.read_text()
    start, end = text.index("  routes: ["), text.index("  ]\n", text.index("  routes: ["))
    return text[:start] + "  routes: [\n" + routes + "\n" + text[end:]


def nats_manifests() -> list[dict]:
    ports = [{"name": "client", "port": 4222}, {"name": "cluster", "port": 6222}, {"name": "monitor", "port": 8222}]
    container = {
        "name": "nats",
        "image": "nats:2.11-alpine",
        "args": ["-c", "/etc/nats/nats.conf"],
        "ports": [{"containerPort": port["port"], "name": port["name"]} for port in ports],
        "env": [{"name": "NATS_SERVER_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
        "volumeMounts": [
            {"name": "config", "mountPath": "/etc/nats"},
            {"name": "data", "mountPath": "/data/jetstream"},
        ],
        "readinessProbe": {"httpGet": {"path": "/healthz?js-enabled-only=true", "port": 8222}, "periodSeconds": 10},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8222}, "periodSeconds": 30},
        "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}},
    }
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _meta("nats-config"),
            "data": {"nats.conf": nats_config()},
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": _meta("nats"),
            "spec": {
                "clusterIP": "None",
                "publishNotReadyAddresses": True,
                "selector": {"app": "nats"},
                "ports": ports,
            },
        },
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": _meta("nats"),
            "spec": {
                "serviceName": "nats",
                "replicas": 3,
                "selector": {"matchLabels": {"app": "nats"}},
                "template": {
                    "metadata": {"labels": {"app": "nats"}},
                    "spec": {
                        "containers": [container],
                        "volumes": [{"name": "config", "configMap": {"name": "nats-config"}}],
                    },
                },
                "volumeClaimTemplates": [
                    {
                        "metadata": {"name": "data"},
                        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "20Gi"}}},
                    }
                ],
            },
        },
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": _meta("nats"),
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "nats"}}},
        },
    ]


def rendered() -> dict[str, list[dict]]:
    files = {"platform.yaml": platform_config(), "nats.yaml": nats_manifests(), "gateway.yaml": gateway_manifests()}
    files.update({f"{dns_name(name)}.yaml": service_manifests(name) for name in SERVICES})
    return files


def as_yaml(documents: list[dict]) -> str:
    # JSON is YAML: every manifest is one JSON document, written without a YAML library.
    return "".join("---\n" + json.dumps(document, indent=2, ensure_ascii=False) + "\n" for document in documents)


def main() -> None:
    FOLDER.mkdir(exist_ok=True)
    for name, documents in rendered().items():
        (FOLDER / name).write_text(as_yaml(documents), encoding="utf-8")


if __name__ == "__main__":
    main()
