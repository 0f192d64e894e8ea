"""What the deployment renderers share: the namespace, the image, the port, names and metadata."""

NAMESPACE = "deputies"
IMAGE = "deputies-in-the-grid:1.0.0"
PORT = 8000
APP_UID = 10001
"""The image's user (deploy/Dockerfile)."""


def dns_name(name: str) -> str:
    return name.replace("_", "-")


def meta(name: str, **extra: object) -> dict:
    return {"name": name, "namespace": NAMESPACE, "labels": {"app": name}, **extra}


def restricted(uid: int, *, read_only: bool = True) -> dict:
    """A container's securityContext: not root, no privilege escalation, no capabilities, read-only root."""
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": read_only,
        "capabilities": {"drop": ["ALL"]},
    }


POD_SECURITY = {"seccompProfile": {"type": "RuntimeDefault"}}
