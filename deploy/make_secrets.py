"""`python -m deploy.make_secrets kubernetes --otp-webhook-url URL > secrets.yaml` (then `kubectl apply -f`),
or `python -m deploy.make_secrets compose --otp-webhook-url URL` (writes deploy/.env and deploy/secrets/).

Makes every secret the rendered manifests name, with new random values: a NATS password for each bus user, a
database role password for each process (and its DATABASE_URL), the database owner's password, a CA with the
NATS servers' certificate, the token-signing key pair, the gateway's key for secrets at rest (TOTP, webhooks),
and the notification service's VAPID key (with the SMS provider's account, which the operator gives). Nothing
here is committed; keep the output as you keep any credential (compose's `secrets/nats-tls/ca.key` offline).
Run it once per installation; run it again to rotate everything (then restart NATS, run the migrate job and
restart the pods).
"""

import argparse
import os
import secrets
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from deploy import bus, database
from deploy.certificates import write_nats_tls
from deploy.common import meta
from deploy.render_k8s import (
    ENCRYPTION_KEYS_FILE,
    ENCRYPTION_SECRET,
    PRIVATE_KEY_FILE,
    PUBLIC_KEY_FILE,
    as_yaml,
)
from devstack.natsauth import permissions
from shared.auth import generate_keypair
from shared.messaging.permissions import password_variable

COMPOSE_FOLDER = Path(__file__).parent


def _password() -> str:
    # Letters, digits, - and _: safe in URLs, configurations and shells. It starts with a letter: nats-server
    # reads a `$VARIABLE` in its configuration as a token, and one starting with a digit or "-" as a number.
    return "p" + secrets.token_urlsafe(24)


@dataclass
class Notification:
    """What the notification service needs from outside: the operator's contact for VAPID, the SMS account."""

    vapid_subject: str = "mailto:npc-office@example.gov.cn"
    sms_signature: str = ""
    aliyun_access_key_id: str = ""
    aliyun_access_key_secret: str = ""
    sms_templates: str = "{}"


def _vapid_key() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()


@dataclass
class Secrets:
    otp_webhook_url: str
    notification: Notification = field(default_factory=Notification)
    vapid_private_key: str = field(default_factory=_vapid_key)
    sms_reply_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    """What the SMS provider's reply push carries (POST /api/notification/sms/replies?token=…)."""
    encryption_keys: str = field(default_factory=lambda: Fernet.generate_key().decode() + "\n")
    database_host: str = database.SETTINGS["PGHOST"]
    database_port: str = database.SETTINGS["PGPORT"]
    database_name: str = database.SETTINGS["PGDATABASE"]
    owner: str = database.SETTINGS["PGUSER"]
    nats_passwords: dict[str, str] = field(default_factory=lambda: {user: _password() for user in permissions()})
    database_passwords: dict[str, str] = field(default_factory=lambda: {p: _password() for p in database.PROCESSES})
    owner_password: str = field(default_factory=_password)
    tls: dict[str, bytes] = field(default_factory=dict)
    keys: dict[str, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        with tempfile.TemporaryDirectory() as scratch:
            folder = write_nats_tls(Path(scratch) / "tls")
            self.tls = {name: (folder / name).read_bytes() for name in ("ca.crt", "ca.key", "tls.crt", "tls.key")}
            generate_keypair(Path(scratch) / PRIVATE_KEY_FILE, Path(scratch) / PUBLIC_KEY_FILE)
            self.keys = {name: (Path(scratch) / name).read_bytes() for name in (PRIVATE_KEY_FILE, PUBLIC_KEY_FILE)}

    def database_url(self, role: str, password: str) -> str:
        host = f"{self.database_host}:{self.database_port}"
        return f"postgresql+asyncpg://{role}:{password}@{host}/{self.database_name}"


def _secret(name: str, data: dict[str, str], kind: str = "Opaque") -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta(name), "type": kind, "stringData": data}


def _config_map(name: str, data: dict[str, str]) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(name), "data": data}


def kubernetes_documents(made: Secrets) -> list[dict]:
    """Every Secret (and the two ConfigMaps of public material) the manifests in deploy/k8s/ name."""
    documents = [_secret(bus.secret_name(user), {"password": made.nats_passwords[user]}) for user in permissions()]
    documents += [
        _secret(database.secret_name(process), {"password": password, "url": made.database_url(process, password)})
        for process, password in made.database_passwords.items()
    ]
    owner_url = made.database_url(made.owner, made.owner_password)
    documents += [
        _secret(database.ADMIN_SECRET, {"password": made.owner_password, "url": owner_url}),
        _secret("gateway-otp", {"url": made.otp_webhook_url}),
        _secret("token-signing-key", {PRIVATE_KEY_FILE: made.keys[PRIVATE_KEY_FILE].decode()}),
        _config_map("token-public-keys", {PUBLIC_KEY_FILE: made.keys[PUBLIC_KEY_FILE].decode()}),
        _secret(
            "nats-tls",
            {name: made.tls[name].decode() for name in ("ca.crt", "tls.crt", "tls.key")},
            kind="kubernetes.io/tls",
        ),
        _config_map("nats-ca", {"ca.crt": made.tls["ca.crt"].decode()}),
        _secret("notification-credentials", notification_environment(made)),
        _secret(ENCRYPTION_SECRET, {ENCRYPTION_KEYS_FILE: made.encryption_keys}),
    ]
    return documents


def notification_environment(made: Secrets) -> dict[str, str]:
    """The notification service's own variables (its secret in Kubernetes, notification.env for compose)."""
    given = made.notification
    return {
        "VAPID_PRIVATE_KEY": made.vapid_private_key,
        "VAPID_SUBJECT": given.vapid_subject,
        "SMS_PROVIDER": "aliyun",
        "SMS_SIGNATURE": given.sms_signature,
        "ALIYUN_ACCESS_KEY_ID": given.aliyun_access_key_id,
        "ALIYUN_ACCESS_KEY_SECRET": given.aliyun_access_key_secret,
        "ALIYUN_SMS_TEMPLATES": given.sms_templates,
        "SMS_REPLY_TOKEN": made.sms_reply_token,
    }


def compose_environment(made: Secrets) -> dict[str, str]:
    """The variables deploy/compose.yaml reads from deploy/.env."""
    values = {"POSTGRES_PASSWORD": made.owner_password, "OTP_WEBHOOK_URL": made.otp_webhook_url}
    values |= {password_variable(user): password for user, password in made.nats_passwords.items()}
    values |= {database.password_variable(p): password for p, password in made.database_passwords.items()}
    return values


def write_compose(made: Secrets, folder: Path = COMPOSE_FOLDER) -> None:
    _private(folder / ".env", "".join(f"{name}={value}\n" for name, value in compose_environment(made).items()))
    for name, content in made.tls.items():
        _private(folder / "secrets" / "nats-tls" / name, content.decode(), public=name.endswith(".crt"))
    for name, content in made.keys.items():
        _private(folder / "secrets" / "keys" / name, content.decode(), public=name == PUBLIC_KEY_FILE)
    _private(folder / "secrets" / "keys" / "gateway-encryption.keys", made.encryption_keys)
    environment = notification_environment(made)
    _private(folder / "secrets" / "notification" / "vapid.pem", environment.pop("VAPID_PRIVATE_KEY"))
    lines = "".join(f"{name}={value}\n" for name, value in environment.items())
    _private(folder / "secrets" / "notification" / "notification.env", lines)


def _private(path: Path, text: str, public: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644 if public else 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.make_secrets", description=__doc__.split("\n\n")[0])
    parser.add_argument("target", choices=["kubernetes", "compose"])
    parser.add_argument("--otp-webhook-url", required=True, help="the SMS provider's endpoint for sign-in codes")
    parser.add_argument("--database-host", default=database.SETTINGS["PGHOST"])
    parser.add_argument("--vapid-subject", default=Notification.vapid_subject, help="mailto: or https: contact")
    parser.add_argument("--sms-signature", default="", help="the SMS signature the provider approved")
    parser.add_argument("--aliyun-access-key-id", default="")
    parser.add_argument("--aliyun-access-key-secret", default="")
    parser.add_argument("--sms-templates", default="{}", help="JSON: message kind -> template code")
    arguments = parser.parse_args(argv)
    notification = Notification(
        arguments.vapid_subject,
        arguments.sms_signature,
        arguments.aliyun_access_key_id,
        arguments.aliyun_access_key_secret,
        arguments.sms_templates,
    )
    made = Secrets(
        otp_webhook_url=arguments.otp_webhook_url, notification=notification, database_host=arguments.database_host
    )
    if arguments.target == "kubernetes":
        sys.stdout.write(as_yaml(kubernetes_documents(made)))  # the CA's key is not kept: renew by running again
    else:
        write_compose(made)
        print(f"Wrote {COMPOSE_FOLDER}/.env and {COMPOSE_FOLDER}/secrets/ (see docs/operations.md)")


if __name__ == "__main__":
    main(sys.argv[1:])
