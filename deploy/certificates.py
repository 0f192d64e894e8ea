"""`python -m deploy.certificates FOLDER [HOST ...]`: a certificate authority of your own and a NATS server
certificate signed by it, for TLS between the processes and NATS and between the NATS nodes (cluster routes).

Writes `ca.crt`, `ca.key` (keep it offline: it signs new certificates), `tls.crt` and `tls.key` (the names a
Kubernetes TLS secret uses). The server certificate names every host the clients and the other nodes use (by
default the compose and Kubernetes names of the three nodes) and serves both as server and as client
certificate, since a node is a client of the others on the cluster routes. Made with the `cryptography`
package (ECDSA P-256, SHA-256); `openssl` does the same. Certificates from an existing CA work as well: NATS
needs only these four files (without `ca.key`).
"""

import datetime
import ipaddress
import os
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NAMESPACE = "deputies"
DEFAULT_HOSTS = [
    "localhost",
    "127.0.0.1",
    *(f"nats-{index}" for index in (1, 2, 3)),  # compose
    "nats",
    f"nats.{NAMESPACE}.svc",
    f"nats.{NAMESPACE}.svc.cluster.local",
    *(f"nats-{index}.nats" for index in range(3)),  # Kubernetes: the StatefulSet's pods
    *(f"nats-{index}.nats.{NAMESPACE}.svc" for index in range(3)),
    *(f"nats-{index}.nats.{NAMESPACE}.svc.cluster.local" for index in range(3)),
]
VALID_DAYS = 825


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Deputies in the grid"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _alternative_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


KeyAndCertificate = tuple[ec.EllipticCurvePrivateKey, x509.Certificate]


def certificate_authority(common_name: str = "Deputies in the grid NATS CA") -> KeyAndCertificate:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS * 2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )  # certificate and CRL signing only
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def server_certificate(ca_key: ec.EllipticCurvePrivateKey, ca: x509.Certificate, hosts: list[str]) -> KeyAndCertificate:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(hosts[0]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, True, False, False, False, False, False, False), critical=True
        )  # digital signature and key encipherment
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
        .add_extension(x509.SubjectAlternativeName([_alternative_name(host) for host in hosts]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return key, certificate


def write_nats_tls(folder: Path, hosts: list[str] | None = None) -> Path:
    """Write a new CA and a server certificate for `hosts` into `folder`; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca = certificate_authority()
    key, certificate = server_certificate(ca_key, ca, hosts or DEFAULT_HOSTS)
    pem = serialization.Encoding.PEM
    (folder / "ca.crt").write_bytes(ca.public_bytes(pem))
    (folder / "tls.crt").write_bytes(certificate.public_bytes(pem))
    for name, secret in (("ca.key", ca_key), ("tls.key", key)):
        text = secret.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        descriptor = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(text)
    return folder


def main(argv: list[str]) -> None:
    if not argv:
        sys.exit(__doc__)
    folder = write_nats_tls(Path(argv[0]), argv[1:] or None)
    print(f"CA and NATS certificate written to {folder}/ (ca.crt, ca.key, tls.crt, tls.key)")


if __name__ == "__main__":
    main(sys.argv[1:])
