"""The deploy files (deploy/): the Kubernetes manifests against Kubernetes' own schemas (kubernetes-validate), the
nginx configuration by nginx itself (`nginx -t`), the compose file's parts; then the real thing on the loopback
address (tests/balancer.py): two replicas behind nginx, four browsers each on a link of its own with a formula of its
own typed, and the replica holding most of them stopped: its students reconnect through nginx to the other replica
and go on with what they typed, while the other replica's students keep their websocket. (The class load through the
balancer, with nginx's log of which replica each browser stayed on, is `python tests/balancer.py`, by hand.)
"""

from __future__ import annotations

import asyncio
import copy
import os
import shutil
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from balancer import Balancer, check, fault, render
from browser_kit import missing

ROOT = Path(__file__).resolve().parent.parent
MANIFESTS = sorted((ROOT / "deploy" / "kubernetes").glob("*.yaml"))
KUBERNETES = "1.34.0"  # the schemas' version (kubernetes-validate carries them)


def documents(path: Path) -> list[dict]:
    return [document for document in yaml.safe_load_all(path.read_text()) if document]


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda path: path.name)
def test_each_manifest_is_valid_against_kubernetes_own_schema(path):
    for document in documents(path):
        kubernetes_validate.validate(document, KUBERNETES, strict=True)


def test_the_validator_refuses_a_misspelt_field_and_a_wrong_type():
    (deployment,) = documents(ROOT / "deploy" / "kubernetes" / "deployment.yaml")
    misspelt = copy.deepcopy(deployment)
    misspelt["spec"]["replica"] = 2
    wrong = copy.deepcopy(deployment)
    wrong["spec"]["replicas"] = "two"
    for broken in (misspelt, wrong):
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(broken, KUBERNETES, strict=True)


def test_the_replicas_are_probed_on_streamlits_health_and_share_one_cookie_secret():
    resources = {doc["kind"]: doc for path in MANIFESTS for doc in documents(path)}
    (container,) = resources["Deployment"]["spec"]["template"]["spec"]["containers"]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/_stcore/health"
    secret = next(env for env in container["env"] if env["name"] == "STREAMLIT_SERVER_COOKIE_SECRET")
    assert secret["valueFrom"]["secretKeyRef"]["name"] == resources["Secret"]["metadata"]["name"]
    assert container["resources"]["requests"]["cpu"]
    annotations = resources["Ingress"]["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600


def test_the_compose_file_runs_replicas_with_a_health_check_behind_nginx():
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    services = compose["services"]
    replicas = [name for name in services if name.startswith("app")]
    assert len(replicas) >= 2
    for name in replicas:
        assert "/_stcore/health" in " ".join(services[name]["healthcheck"]["test"])
        assert "STREAMLIT_SERVER_COOKIE_SECRET" in services[name]["environment"]
    config = (ROOT / "deploy" / "nginx.conf").read_text()
    assert all(f"server {name}:8501" in config for name in replicas)  # every replica is in the balancer
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in services["nginx"]["volumes"]


def nginx_missing() -> str:
    if shutil.which("nginx") or Path("/usr/sbin/nginx").exists():
        return ""
    return "nginx is not installed (apt-get install nginx; .ci/run does)"


@pytest.fixture
def needs_nginx():
    if reason := nginx_missing():
        if os.environ.get("CI"):
            pytest.fail(f"CI needs nginx: {reason}")
        pytest.skip(reason)


def test_nginx_accepts_the_configuration_and_refuses_a_broken_one(needs_nginx, tmp_path):
    (tmp_path / "nginx").mkdir()
    config = tmp_path / "nginx.conf"
    config.write_text(render(["127.0.0.1:8501", "127.0.0.1:8502"], 18080, tmp_path))
    checked = check(config)
    assert checked.returncode == 0, checked.stderr
    config.write_text(config.read_text().replace("hash $route consistent;", "hash_by $route consistent;"))
    checked = check(config)
    assert checked.returncode != 0 and "unknown directive" in checked.stderr


@pytest.fixture
def needs_browser_and_nginx(needs_nginx):
    if reason := missing():
        if os.environ.get("CI"):
            pytest.fail(f"CI needs the browser tests: {reason}")
        pytest.skip(reason)


@pytest.mark.browser
def test_a_replica_stopped_under_its_students_they_come_back_on_the_other_with_what_they_typed(
    needs_browser_and_nginx,
):
    with Balancer(2, {"DERIVLIB_FUSE": "0"}) as balancer:
        found = asyncio.run(fault(balancer, students=4))
    students = found["students"]
    assert not [s["problems"] for s in students if s["problems"]], students
    victims = [s for s in students if s["was_on"] == found["victim"]]
    others = [s for s in students if s["was_on"] != found["victim"]]
    assert victims, students  # the replica stopped was the one holding most of them
    for student in victims:  # reconnected through nginx to the other replica, within seconds
        assert student["moved"] and student["now_on"] != found["victim"], student
        assert student["back_after"] is not None and student["back_after"] < 30, student
    for student in others:  # the same websocket all along
        assert not student["moved"] and student["now_on"] == student["was_on"], student
