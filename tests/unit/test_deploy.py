"""deploy/: the Kubernetes manifests are valid and complete, compose and k8s name real settings and paths."""

import json
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from deploy import render_k8s
from gateway.settings import GatewaySettings
from shared.migrations import SERVICES

DEPLOY = Path(render_k8s.__file__).parent
KUBERNETES_VERSION = "1.30.0"


def documents() -> list[dict]:
    return [document for docs in render_k8s.rendered().values() for document in docs]


def test_the_committed_manifests_are_the_rendered_ones():
    """After a change to deploy/render_k8s.py, run `python -m deploy.render_k8s`."""
    for name, docs in render_k8s.rendered().items():
        assert (DEPLOY / "k8s" / name).read_text(encoding="utf-8") == render_k8s.as_yaml(docs), name


@pytest.mark.parametrize("document", documents(), ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_every_manifest_is_valid_kubernetes(document):
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_every_process_has_a_deployment_service_autoscaler_and_disruption_budget():
    kinds: dict[str, set[str]] = {}
    for document in documents():
        kinds.setdefault(document["metadata"]["name"], set()).add(document["kind"])
    for name in [*map(render_k8s.dns_name, SERVICES), "gateway"]:
        assert kinds[name] == {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"}
    assert kinds["nats"] == {"StatefulSet", "Service", "PodDisruptionBudget"} and kinds["nats-config"] == {"ConfigMap"}


def _env_names(document: dict) -> set[str]:
    container = document["spec"]["template"]["spec"]["containers"][0]
    return {item["name"] for item in container.get("env", [])}


def test_environment_names_are_settings_the_code_reads():
    fields = set(GatewaySettings.model_fields)
    platform = next(d for d in documents() if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "platform")
    secret = next(d for d in documents() if d["kind"] == "Secret")
    names = set(platform["data"]) | set(secret["stringData"])
    for document in documents():
        if document["kind"] == "Deployment":
            names |= _env_names(document)
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
    assert {"nats-1", "nats-2", "nats-3", "postgres", "migrate"} <= set(compose)


def test_jetstream_syncs_every_write():
    assert "sync_interval: always" in (DEPLOY / "nats" / "nats.conf").read_text()
    nats = next(d for d in documents() if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "nats-config")
    assert "nats-2.nats:6222" in nats["data"]["nats.conf"]
    assert json.dumps(nats).count("sync_interval: always") == 1
