"""`ecs-why check` as a pipeline runs it: a real process, its output and exit status."""

from __future__ import annotations

import json
from pathlib import Path

from tests.builders.cli_process import run
from tests.builders.prevent import container, taskdef

DATA = Path(__file__).resolve().parents[1] / "diagnosis" / "prevent" / "data"


def _write(tmp_path: Path, definition: dict, name: str = "td.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(definition, indent=2))
    return str(path)


def test_a_good_task_definition_exits_0(tmp_path: Path) -> None:
    result = run("check", _write(tmp_path, taskdef()))
    assert result.returncode == 0, result.stderr
    assert "0 errors, 0 warnings in 1 task definition" in result.stdout


def test_an_error_exits_1_and_names_rule_fact_and_fix(tmp_path: Path) -> None:
    result = run("check", _write(tmp_path, taskdef(cpu="256", memory="4096")))
    assert result.returncode == 1
    assert "ERROR fargate_task_size" in result.stdout
    assert "aws ecs register-task-definition" in result.stdout


def test_warnings_exit_0_unless_fail_on_warning(tmp_path: Path) -> None:
    path = _write(tmp_path, taskdef(container(image="nginx:latest")))
    assert run("check", path).returncode == 0
    assert run("check", path, "--fail-on", "warning").returncode == 1
    ignored = run("check", path, "--fail-on", "warning", "--ignore", "image_tag_pinned")
    assert ignored.returncode == 0 and "(1 ignored)" in ignored.stdout


def test_the_config_file_ignores_and_sets_fail_on(tmp_path: Path) -> None:
    path = _write(tmp_path, taskdef(container(image="nginx:latest")))
    config = tmp_path / "check.toml"
    config.write_text('[check]\nfail_on = "warning"\n')
    assert run("check", path, "--config", str(config)).returncode == 1
    config.write_text('[check]\nfail_on = "warning"\nignore = ["image_tag_pinned:web"]\n')
    assert run("check", path, "--config", str(config)).returncode == 0


def test_bad_options_and_input_exit_2_with_one_line(tmp_path: Path) -> None:
    path = _write(tmp_path, taskdef())
    unknown = run("check", path, "--ignore", "no_such_rule")
    assert unknown.returncode == 2 and "no rule 'no_such_rule'" in unknown.stderr
    config = tmp_path / "bad.toml"
    config.write_text("[check]\nignores = []\n")
    bad_config = run("check", path, "--config", str(config))
    assert bad_config.returncode == 2 and "unknown key(s) ignores" in bad_config.stderr
    missing = run("check", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "no such file" in missing.stderr
    garbage = run("check", _write(tmp_path, {"services": []}, "x.json"))
    assert garbage.returncode == 2 and "no ECS task definition" in garbage.stderr
    for bad in (unknown, bad_config, missing, garbage):
        assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_json_and_sarif_outputs(tmp_path: Path) -> None:
    template = str(DATA / "cloudformation-web.yaml")
    report = json.loads(run("check", template, "--format", "json").stdout)
    assert set(report) == {"target", "subjects", "results", "ignored", "gaps", "stats"}
    assert report["target"] is None  # files, not a service
    first = report["results"][0]
    assert first["severity"] == "error" and first["fix"]["cloudformation"] and first["docs"]
    sarif = json.loads(run("check", template, "--format", "sarif").stdout)
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]


def test_standard_input_is_read(tmp_path: Path) -> None:
    result = run("check", "-", stdin=json.dumps(taskdef(memory="3000")))
    assert result.returncode == 1 and "fargate_task_size" in result.stdout


def test_files_and_services_are_told_apart(tmp_path: Path) -> None:
    from bot.cli_check import is_service

    assert is_service(["web-api"]) and is_service(["prod/web-api"])
    assert is_service(["arn:aws:ecs:eu-west-1:111122223333:service/prod/web-api"])
    assert (
        not is_service(["taskdef.json"]) and not is_service(["infra/template.yaml"]) and not is_service(["-"])
    )
    assert not is_service([_write(tmp_path, taskdef(), "web-api")])  # an existing file is a file
    assert not is_service(["a.json", "b.json"])


def test_service_options_on_files_exit_2(tmp_path: Path) -> None:
    result = run("check", _write(tmp_path, taskdef()), "--cluster", "prod")
    assert result.returncode == 2 and "for a SERVICE" in result.stderr
