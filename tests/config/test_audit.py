"""scripts/audit's judgement of pip-audit, without the network: outputs recorded on this machine
(no route to the advisory databases) and the report pip-audit writes when it did check."""

import importlib.machinery
import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUTPUTS = Path(__file__).with_name("pip_audit_outputs")


def _load_script():
    loader = importlib.machinery.SourceFileLoader("scripts_audit", str(ROOT / "scripts" / "audit"))
    spec = importlib.util.spec_from_loader("scripts_audit", loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules["scripts_audit"] = module  # dataclasses look their module up there
    loader.exec_module(module)
    return module


audit = _load_script()


def recorded(name: str) -> str:
    return (OUTPUTS / name).read_text()


def checked_report(*vulnerable: tuple[str, str, str]) -> str:
    """pip-audit's JSON format (pip_audit/_format/json.py) for a run that reached the database."""
    dependencies = [
        {"name": "django", "version": "5.2.19", "vulns": []},
        {"name": "wagtail", "version": "8.0.1", "vulns": []},
    ]
    for name, version, vuln_id in vulnerable:
        dependencies.append(
            {
                "name": name,
                "version": version,
                "vulns": [
                    {"id": vuln_id, "fix_versions": ["9.9.9"], "aliases": [], "description": "x"}
                ],
            }
        )
    return json.dumps({"dependencies": dependencies, "fixes": []})


def test_unreachable_pypi_is_not_run_although_pip_audit_said_all_clean():
    stderr = recorded("unreachable-pypi.stderr")
    assert "No known vulnerabilities found" in stderr  # what pip-audit itself claimed, exit 0
    verdict = audit.judge(0, recorded("unreachable-pypi.json"), stderr)
    assert verdict.outcome == audit.NOT_RUN
    report = verdict.report()
    assert report.startswith("DEPENDENCY CHECK DID NOT RUN: 152 of 152 packages were not checked")
    assert "no known vulnerabilities" not in report.lower()
    assert verdict.exit_code(require_check=False) == 0
    assert verdict.exit_code(require_check=True) == 1


def test_unreachable_osv_is_not_run_and_names_the_connection_error():
    verdict = audit.judge(1, "", recorded("unreachable-osv.stderr"), "osv")
    assert verdict.outcome == audit.NOT_RUN
    report = verdict.report()
    assert report.startswith("DEPENDENCY CHECK DID NOT RUN: pip-audit gave no report (exit 1)")
    assert "ConnectionError" in report and "api.osv.dev" in report
    assert verdict.exit_code(require_check=True) == 1


def test_every_package_checked_and_none_vulnerable_is_clean():
    verdict = audit.judge(0, checked_report(), "No known vulnerabilities found\n")
    assert verdict.outcome == audit.CLEAN
    assert "all 2 packages" in verdict.report()
    assert "DID NOT RUN" not in verdict.report()
    assert verdict.exit_code(require_check=True) == 0


def test_one_known_vulnerability_fails_the_audit_in_any_setting():
    report = checked_report(("pillow", "10.0.0", "PYSEC-2023-175"))
    verdict = audit.judge(1, report, "Found 1 known vulnerability in 1 package\n")
    assert verdict.outcome == audit.VULNERABLE
    assert "pillow 10.0.0: PYSEC-2023-175 (9.9.9)" in verdict.report()
    assert verdict.exit_code(require_check=False) == 1


def test_some_packages_unchecked_is_said_even_beside_a_vulnerability():
    data = json.loads(checked_report(("pillow", "10.0.0", "PYSEC-2023-175")))
    data["dependencies"].append({"name": "private-pkg", "skip_reason": "Dependency not found"})
    verdict = audit.judge(1, json.dumps(data), "")
    assert verdict.outcome == audit.VULNERABLE
    assert "DEPENDENCY CHECK DID NOT RUN for some packages: 1 of 4" in verdict.report()
    data["dependencies"] = [dep for dep in data["dependencies"] if dep["name"] != "pillow"]
    verdict = audit.judge(0, json.dumps(data), "No known vulnerabilities found\n")
    assert verdict.outcome == audit.NOT_RUN
    assert verdict.report().startswith("DEPENDENCY CHECK DID NOT RUN: 1 of 3 packages")


@pytest.mark.parametrize("stdout", ["", "not json", "{}", '{"dependencies": []}'])
def test_no_usable_report_is_not_run(stdout):
    verdict = audit.judge(2, stdout, "Traceback ...\nSomeError: it broke\n")
    assert verdict.outcome == audit.NOT_RUN
    assert "DID NOT RUN" in verdict.report()


def test_main_reports_and_exits_by_the_setting(monkeypatch, capsys):
    unreachable = audit.judge(0, recorded("unreachable-pypi.json"), "")
    monkeypatch.setattr(audit, "run_pip_audit", lambda *args: unreachable)
    monkeypatch.delenv("AUDIT_REQUIRE_DEPENDENCY_CHECK", raising=False)
    assert audit.main([]) == 0
    assert "DEPENDENCY CHECK DID NOT RUN" in capsys.readouterr().out
    monkeypatch.setenv("AUDIT_REQUIRE_DEPENDENCY_CHECK", "1")
    assert audit.main([]) == 1
