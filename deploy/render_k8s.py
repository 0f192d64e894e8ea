"""`python -m deploy.render_k8s` writes deploy/k8s/*.yaml (every service, the gateway, NATS, the migration job,
the network policies and the ingress), deploy/nats/nats.conf (compose's NATS) and deploy/postgres/roles.sql.

The manifests are generated so that the six deployments cannot drift apart; a test checks the committed
files against this renderer and validates them against the Kubernetes schemas. No secret value is rendered:
the manifests name the secrets that `python -m deploy.make_secrets` makes (docs/operations.md, "Secrets").

What each pod gets: its own NATS user and password (`nats-user-<name>`), its own database role
(`db-<name>`: DATABASE_URL), the NATS CA (`nats-ca`) and the token-verifying public key
(`token-public-keys`); only the gateway mounts the token-signing private key (`token-signing-key`).
"""

import json
from pathlib import Path

from deploy import bus, database, policies
from deploy.common import APP_UID, IMAGE, NAMESPACE, POD_SECURITY, PORT, dns_name, meta, restricted
from deploy.policies import PUBLIC_HOST
from shared.config import SERVICES

__all__ = ["IMAGE", "NAMESPACE", "PORT", "dns_name", "rendered"]

FOLDER = Path(__file__).parent / "k8s"
NATS_CONF = Path(__file__).parent / "nats" / "nats.conf"
ROLES_SQL = Path(__file__).parent / "postgres" / "roles.sql"
NATS_CA_DIR = "/etc/nats-ca"
PUBLIC_KEYS_DIR = "/keys/public"
PRIVATE_KEY_DIR = "/keys/private"
PUBLIC_KEY_FILE = "token-signing.pub.pem"
PRIVATE_KEY_FILE = "token-signing.pem"
COMPOSE_NATS_NODES = [f"nats-{index}:{bus.CLUSTER_PORT}" for index in (1, 2, 3)]


def _uvicorn(target: str) -> list[str]:
    return ["python", "-m", "uvicorn", target, "--factory", "--host", "0.0.0.0", "--port", str(PORT)]


def secret_env(name: str, secret: str, key: str) -> dict:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def _own_credentials(name: str) -> list[dict]:
    """A process's own NATS user and database role."""
    return [
        {"name": "NATS_USER", "value": name},
        secret_env("NATS_PASSWORD", bus.secret_name(name), "password"),
        secret_env("DATABASE_URL", database.secret_name(name), "url"),
    ]


def _volumes(private_key: bool) -> tuple[list[dict], list[dict]]:
    """(volumes, mounts) of an app pod: a writable /tmp (uploads spill there), the NATS CA, the public keys;
    the private key only when asked (the gateway)."""
    volumes = [
        {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
        {"name": "nats-ca", "configMap": {"name": "nats-ca"}},
        {"name": "public-keys", "configMap": {"name": "token-public-keys"}},
    ]
    mounts = [
        {"name": "tmp", "mountPath": "/tmp"},
        {"name": "nats-ca", "mountPath": NATS_CA_DIR, "readOnly": True},
        {"name": "public-keys", "mountPath": PUBLIC_KEYS_DIR, "readOnly": True},
    ]
    if private_key:  # the gateway: the signing key, and the key that seals TOTP and webhook secrets at rest
        volumes.append({"name": "private-key", "secret": {"secretName": "token-signing-key"}})
        mounts.append({"name": "private-key", "mountPath": PRIVATE_KEY_DIR, "readOnly": True})
        volumes.append({"name": "encryption-keys", "secret": {"secretName": ENCRYPTION_SECRET}})
        mounts.append({"name": "encryption-keys", "mountPath": ENCRYPTION_KEYS_DIR, "readOnly": True})
    return volumes, mounts


def _container(name: str, target: str, env: list[dict], mounts: list[dict]) -> dict:
    probe = {"httpGet": {"port": PORT}, "periodSeconds": 10, "timeoutSeconds": 3}
    return {
        "name": dns_name(name),
        "image": IMAGE,
        "command": _uvicorn(target),
        "ports": [{"containerPort": PORT, "name": "http"}],
        "envFrom": [{"configMapRef": {"name": "platform"}}],
        "env": env,
        "readinessProbe": {**probe, "httpGet": {**probe["httpGet"], "path": "/readyz"}},
        "livenessProbe": {**probe, "httpGet": {**probe["httpGet"], "path": "/healthz"}, "failureThreshold": 6},
        "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
        "volumeMounts": mounts,
        "securityContext": restricted(APP_UID),
    }


def workload(name: str, target: str, env: list[dict], replicas: int = 2, private_key: bool = False) -> list[dict]:
    """Deployment, Service, HorizontalPodAutoscaler and PodDisruptionBudget of one process kind."""
    label = dns_name(name)
    selector = {"matchLabels": {"app": label}}
    volumes, mounts = _volumes(private_key)
    pod = {
        "metadata": {"labels": {"app": label}},
        "spec": {
            "automountServiceAccountToken": False,
            "securityContext": POD_SECURITY,
            "containers": [_container(name, target, env, mounts)],
            "volumes": volumes,
        },
    }
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": meta(label),
            "spec": {"replicas": replicas, "selector": selector, "template": pod},
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": meta(label),
            "spec": {"selector": {"app": label}, "ports": [{"port": PORT, "targetPort": "http", "name": "http"}]},
        },
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": meta(label),
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
            "metadata": meta(label),
            "spec": {"minAvailable": 1, "selector": selector},
        },
    ]


NOTIFICATION_SECRET_KEYS = (
    "VAPID_PRIVATE_KEY",
    "VAPID_SUBJECT",
    "SMS_PROVIDER",
    "SMS_SIGNATURE",
    "ALIYUN_ACCESS_KEY_ID",
    "ALIYUN_ACCESS_KEY_SECRET",
    "ALIYUN_SMS_TEMPLATES",
    "SMS_REPLY_TOKEN",
)
"""The notification service's own secret (deploy.make_secrets makes it; README: Notifications)."""


def service_manifests(name: str) -> list[dict]:
    env = [{"name": "SERVICE_NAME", "value": name}, {"name": "DATABASE_SCHEMA", "value": name}]
    env += _own_credentials(name)
    if name == "case_intake":  # it resolves a filed point to a grid by asking the grid service
        env.append({"name": "GRID_URL", "value": f"http://{dns_name('grid')}:{PORT}"})
    documents = workload(name, f"services.{name}.app:create_app", env)
    if name == "notification":  # its VAPID key and SMS provider account come from a secret of its own
        container = documents[0]["spec"]["template"]["spec"]["containers"][0]
        container["env"] += [secret_env(key, "notification-credentials", key) for key in NOTIFICATION_SECRET_KEYS]
    return documents


ENCRYPTION_SECRET = "gateway-encryption-keys"
ENCRYPTION_KEYS_DIR = "/keys/encryption"
ENCRYPTION_KEYS_FILE = "keys"
INGRESS_NETWORK = "10.0.0.0/8"
"""Where the ingress controller's pods connect from (the cluster's pod network): the gateway reads
X-Forwarded-For only from these addresses (TRUSTED_PROXIES). Set it to your cluster's pod CIDR."""


def gateway_manifests() -> list[dict]:
    env = [
        {"name": "SERVICE_NAME", "value": "gateway"},
        {"name": "DATABASE_SCHEMA", "value": "gateway"},
        *_own_credentials("gateway"),
        {"name": "TOKEN_PRIVATE_KEY_FILE", "value": f"{PRIVATE_KEY_DIR}/{PRIVATE_KEY_FILE}"},
        {"name": "OTP_SENDER", "value": "webhook"},
        secret_env("OTP_WEBHOOK_URL", "gateway-otp", "url"),
        {"name": "ENCRYPTION_KEYS_FILE", "value": f"{ENCRYPTION_KEYS_DIR}/{ENCRYPTION_KEYS_FILE}"},
        {"name": "TRUSTED_PROXIES", "value": INGRESS_NETWORK},
    ]
    env += [{"name": f"{name.upper()}_URL", "value": f"http://{dns_name(name)}:{PORT}"} for name in SERVICES]
    documents = workload("gateway", "gateway.app:create_app", env, private_key=True)
    container = documents[0]["spec"]["template"]["spec"]["containers"][0]
    container["command"] = ["python", "-m", "gateway", "--host", "0.0.0.0", "--port", str(PORT)]  # as it must be served
    return documents


def platform_config() -> list[dict]:
    nats_urls = ",".join(f"tls://nats-{index}.nats:{bus.CLIENT_PORT}" for index in range(3))
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}},
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": meta("platform"),
            "data": {
                "ENVIRONMENT": "production",
                "NATS_URL": nats_urls,
                "NATS_TLS_CA_FILE": f"{NATS_CA_DIR}/ca.crt",
                "NATS_STREAM_REPLICAS": "3",
                "TOKEN_PUBLIC_KEY_FILE": f"{PUBLIC_KEYS_DIR}/{PUBLIC_KEY_FILE}",
                # Services believe X-Forwarded-For from the pod network: the network policies let only the
                # gateway reach them (the gateway's own setting, the ingress, overrides this one).
                "TRUSTED_PROXIES": INGRESS_NETWORK,
                # The gateway's public address: every service prints it on documents' QR codes
                "PUBLIC_URL": f"https://{PUBLIC_HOST}",
            },
        },
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("database"), "data": dict(database.SETTINGS)},
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": meta("database-roles"),
            "data": {"roles.sql": database.roles_sql()},
        },
        migrate_job(),
    ]


def migrate_job() -> dict:
    """The release's database step: the roles and schemas (psql, as the owner), then every migration."""
    roles = {
        "name": "database-roles",
        "image": "postgres:16-alpine",
        "command": database.psql_command(),
        "envFrom": [{"configMapRef": {"name": "database"}}],
        "env": [
            secret_env("PGPASSWORD", database.ADMIN_SECRET, "password"),
            *(
                secret_env(database.password_variable(name), database.secret_name(name), "password")
                for name in database.PROCESSES
            ),
        ],
        "volumeMounts": [{"name": "roles", "mountPath": "/sql", "readOnly": True}],
        "securityContext": restricted(70),  # the image's postgres user
    }
    migrate = {
        "name": "migrate",
        "image": IMAGE,
        "command": ["python", "-m", "shared.migrations", "--schema-per-service"],
        "envFrom": [{"configMapRef": {"name": "platform"}}],
        "env": [secret_env("DATABASE_URL", database.ADMIN_SECRET, "url")],
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
        "securityContext": restricted(APP_UID),
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta("migrate"),
        "spec": {
            "backoffLimit": 3,
            "template": {
                "metadata": {"labels": {"app": "migrate"}},
                "spec": {
                    "restartPolicy": "OnFailure",
                    "automountServiceAccountToken": False,
                    "securityContext": POD_SECURITY,
                    "initContainers": [roles],
                    "containers": [migrate],
                    "volumes": [
                        {"name": "roles", "configMap": {"name": "database-roles"}},
                        {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
                    ],
                },
            },
        },
    }


def rendered() -> dict[str, list[dict]]:
    files = {
        "platform.yaml": platform_config(),
        "nats.yaml": bus.manifests(),
        "gateway.yaml": gateway_manifests(),
        "network.yaml": [*policies.network_policies(), policies.ingress()],
    }
    files.update({f"{dns_name(name)}.yaml": service_manifests(name) for name in SERVICES})
    return files


def rendered_files() -> dict[Path, str]:
    """Every generated file of deploy/, with its text."""
    files = {FOLDER / name: as_yaml(documents) for name, documents in rendered().items()}
    files[NATS_CONF] = bus.server_config(COMPOSE_NATS_NODES)
    files[ROLES_SQL] = database.roles_sql()
    return files


def as_yaml(documents: list[dict]) -> str:
    # JSON is YAML: every manifest is one JSON document, written without a YAML library.
    return "".join("---\n" + json.dumps(document, indent=2, ensure_ascii=False) + "\n" for document in documents)


def main() -> None:
    for path, text in rendered_files().items():
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
