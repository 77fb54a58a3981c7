"""The dependency direction handlers → bot → diagnosis, and pure rules, checked on the source's imports."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMPOSITION_ROOTS = {"bot.app", "bot.cli"}


def modules(package: str) -> list[tuple[str, Path]]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        name = ".".join(rel.parts).removesuffix(".__init__")
        found.append((name, path))
    return found


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def under(name: str, *packages: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


@pytest.mark.parametrize(("module", "path"), modules("diagnosis"), ids=lambda v: str(v))
def test_diagnosis_imports_no_outer_layer_slack_or_redis(module: str, path: Path) -> None:
    bad = {
        i
        for i in imports_of(path)
        if under(i, "bot", "handlers", "slack_sdk", "slack_bolt", "redis", "fakeredis", "prometheus_client")
    }
    assert not bad, f"{module} imports {sorted(bad)}: the domain must not know the bot, Slack or Redis"


@pytest.mark.parametrize(
    ("module", "path"),
    modules("diagnosis/rules")
    + modules("diagnosis/knowledge")
    + modules("diagnosis/checks")
    + modules("diagnosis/prevent/rules"),
    ids=lambda v: str(v),
)
def test_rules_are_pure(module: str, path: Path) -> None:
    bad = {
        i
        for i in imports_of(path)
        if under(
            i,
            "boto3",
            "botocore",
            "diagnosis.collect",
            "diagnosis.live",
            "socket",
            "requests",
            "urllib",
            "subprocess",
            "os",
        )
    }
    assert not bad, f"{module} imports {sorted(bad)}: rules read evidence, they never call AWS or do I/O"


@pytest.mark.parametrize(("module", "path"), modules("handlers"), ids=lambda v: str(v))
def test_handlers_never_import_the_composition_root(module: str, path: Path) -> None:
    bad = {i for i in imports_of(path) if under(i, *COMPOSITION_ROOTS)}
    assert not bad, f"{module} imports {sorted(bad)}: handlers receive their services, they do not build them"


@pytest.mark.parametrize(("module", "path"), modules("bot"), ids=lambda v: str(v))
def test_only_the_composition_root_imports_handlers(module: str, path: Path) -> None:
    if module in COMPOSITION_ROOTS:
        return
    bad = {i for i in imports_of(path) if under(i, "handlers")}
    assert not bad, f"{module} imports {sorted(bad)}: only the composition root wires handlers"


@pytest.mark.parametrize(
    ("module", "path"), modules("bot") + modules("handlers") + modules("diagnosis"), ids=lambda v: str(v)
)
def test_only_the_demo_command_imports_the_demo(module: str, path: Path) -> None:
    """The sandbox (moto, a fake world) is for `ecs-why demo` only; nothing that serves users may load it."""
    if under(module, "bot.demo") or module == "bot.cli":
        return
    bad = {i for i in imports_of(path) if under(i, "bot.demo")}
    assert not bad, f"{module} imports {sorted(bad)}: only the CLI's demo command loads the sandbox"


def test_the_cli_loads_the_demo_only_inside_its_command() -> None:
    """bot.cli imports the sandbox lazily inside `demo`, so other commands never pay for moto."""
    tree = ast.parse((ROOT / "bot" / "cli.py").read_text())
    top_level = {node.module for node in tree.body if isinstance(node, ast.ImportFrom) and node.module} | {
        alias.name for node in tree.body if isinstance(node, ast.Import) for alias in node.names
    }
    assert not {i for i in top_level if under(i, "bot.demo")}
    owners = [
        fn.name
        for fn in ast.walk(tree)
        if isinstance(fn, ast.FunctionDef)
        and any(
            isinstance(n, ast.ImportFrom) and n.module and under(n.module, "bot.demo") for n in ast.walk(fn)
        )
    ]
    assert owners == ["demo"], f"bot.demo is imported in {owners}, not only in the demo command"


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    """The checks above would fail on a rule that calls AWS (guards against a checker that sees nothing)."""
    rule = tmp_path / "rule.py"
    rule.write_text("import boto3\nfrom bot.settings import Settings\n")
    found = imports_of(rule)
    assert any(under(i, "boto3") for i in found) and any(under(i, "bot") for i in found)
    assert len(modules("diagnosis/rules")) >= 6


# The live entry points and the one module that may call each: everyone else (Slack, the worker, the
# terminal, the demo) goes through `Diagnoser.reach`, the one place that resolves account, session and region.
LIVE_ENTRY_POINTS = {
    "diagnosis.live.diagnose_live": "bot.diagnoser",
    "diagnosis.prevent.live.check_service": "bot.checker",
    "diagnosis.exec_check.exec_check": "bot.checker",
}


def live_calls_outside_the_diagnoser(module: str, path: Path) -> list[str]:
    return sorted(i for i in imports_of(path) if LIVE_ENTRY_POINTS.get(i, module) != module)


@pytest.mark.parametrize(("module", "path"), modules("bot") + modules("handlers"), ids=lambda v: str(v))
def test_live_diagnoses_and_checks_run_only_through_the_diagnoser(module: str, path: Path) -> None:
    bad = live_calls_outside_the_diagnoser(module, path)
    assert not bad, f"{module} imports {bad}: run them through bot.diagnoser.Diagnoser / bot.checker"


def test_the_live_entry_point_checker_sees_a_violation(tmp_path: Path) -> None:
    (tmp_path / "demo.py").write_text(
        "from diagnosis.live import diagnose_live, parse_since\nfrom diagnosis.exec_check import exec_check\n"
    )
    found = live_calls_outside_the_diagnoser("bot.cli", tmp_path / "demo.py")
    assert found == ["diagnosis.exec_check.exec_check", "diagnosis.live.diagnose_live"]
    assert live_calls_outside_the_diagnoser("bot.checker", ROOT / "bot" / "checker.py") == []
    assert live_calls_outside_the_diagnoser("bot.cli", ROOT / "bot" / "checker.py"), "bot.checker runs them"


SENTENCE = re.compile(r"[A-Za-z]+ [A-Za-z{}]+ [A-Za-z{}]+")  # three words: a sentence, not a name or a key


def _docstrings(tree: ast.AST) -> set[int]:
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def _text_of(node: ast.AST) -> str | None:
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def guardrail_sentences(path: Path) -> list[str]:
    """The sentences a module writes (docstrings aside), but for the settings' validation messages
    (`raise ValueError(...)`: one line at start-up, never Slack): the guardrails say why as a code."""
    tree = ast.parse(path.read_text())
    skipped = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            called = node.exc.func
            if isinstance(called, ast.Name) and called.id == "ValueError":
                skipped |= {id(n) for n in ast.walk(node.exc)}
    skipped |= {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
    found = [
        (node.lineno, text)
        for node in ast.walk(tree)
        if id(node) not in skipped and (text := _text_of(node)) is not None and SENTENCE.search(text)
    ]
    return [f"line {line}: {text!r}" for line, text in sorted(found)]


# What a click that changes nothing is told, by kind: a guardrail's Reason, a button or request gone, or
# a change that cannot be planned (PlanError takes a reason of bot/remediation/why_not.py).
REFUSALS = {"Refused", "Expired", "Replayed", "UnreadableButton", "ApprovalExpired", "AlreadyAsked"}
REFUSALS |= {"AlreadyDecided", "ApprovalGone", "UnreadableApproval", "PlanError"}


def _written(node: ast.AST) -> bool:
    """A string written here, or one built from one (`f"…" + "…"`); what a call returns is not written here."""
    if _text_of(node) is not None:
        return True
    return isinstance(node, ast.BinOp) and (_written(node.left) or _written(node.right))


def worded_refusals(path: Path) -> list[str]:
    """A refusal raised with a string written there: a sentence bot wrote for Slack instead of a code and
    its fields (handlers/refusals.py and bot/why_not_says.py word them)."""
    return [
        f"line {node.lineno}"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in REFUSALS
        and any(_written(arg) for arg in [*node.args, *(k.value for k in node.keywords)])
    ]


@pytest.mark.parametrize(
    ("module", "path"),
    [*modules("bot/guardrails"), *(m for m in modules("bot/remediation") if m[0].endswith(".why_not"))],
    ids=lambda v: str(v),
)
def test_the_guardrails_say_why_as_a_code_not_a_sentence(module: str, path: Path) -> None:
    found = guardrail_sentences(path)
    assert not found, f"{module} writes sentences (return a Reason; handlers/refusals.py words it): {found}"


@pytest.mark.parametrize(("module", "path"), modules("bot"), ids=lambda v: str(v))
def test_refusals_carry_a_reason_not_a_sentence(module: str, path: Path) -> None:
    found = worded_refusals(path)
    assert not found, f"{module} refuses with a sentence (raise the kind with its fields): {found}"


def test_the_sentence_checkers_see_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "policy.py"
    bad.write_text(
        '"""A docstring may say what it likes."""\n'
        'def decide(rule):\n    return f"guardrail rule {rule} denies it"\n'
        'NO = "you are not allowed"\n'
        'raise Refused(f"rule {rule} does not let you", ())\n'
        'raise Refused("nope", ())\n'
        'raise Expired("this button has expired")\n'
        'raise PlanError(f"{service} is managed by {owner}" + ", and code-only allows no API change")\n'
        'raise PlanError(reason="the grace period is already long")\n'
    )
    assert [f.split(":")[0] for f in guardrail_sentences(bad)] == [
        "line 3", "line 4", "line 5", "line 7", "line 8", "line 8", "line 9",
    ]  # fmt: skip
    assert worded_refusals(bad) == ["line 5", "line 6", "line 7", "line 8", "line 9"]
    fine = tmp_path / "rules.py"
    fine.write_text(
        'DEFAULT = "default"\nKEY = f"{cluster}/{service}"\n'
        'raise ValueError(f"rule {name!r} names nobody: set users")\n'
        "raise Refused(Reason(Why.DENIED, rule), ())\nraise Replayed\nraise UnreadableButton(str(exc))\n"
        "raise PlanError(GraceAlreadyLong(service=p.service, before=before, asked=p.seconds))\n"
    )
    assert guardrail_sentences(fine) == [] and worded_refusals(fine) == []
    assert len(modules("bot/guardrails")) >= 3 and (ROOT / "bot" / "remediation" / "why_not.py").is_file()


# Slack's own markup, as a string of the bot would carry it to Slack: mentions and special mentions,
# `<url|label>` links, emoji (as characters or :shortcodes:), *bold* mrkdwn. An ARN's `:aws:`, a glob's
# `*/*` and plain sentences ("recovered at 14:02 UTC") are not Slack text.
SLACK_MARKUP = re.compile(
    r"<[@#][^>\s]*>|<!(?:subteam\^|here|channel|everyone|date)|<https?://[^>|\s]*\|[^>]*>"
    r"|(?<![\w:]):[a-z][a-z0-9_+-]*:(?![\w:])|(?<![\w*/])\*[A-Za-z][^*\n]*\*(?![\w*/])"
    r"|[\u2139\u2600-\u27bf\U0001f300-\U0001faff]"
)
BLOCK_KIT_TYPES = {
    "actions", "button", "context", "divider", "header", "image", "input", "modal", "mrkdwn", "overflow",
    "plain_text", "rich_text", "section", "static_select",
}  # fmt: skip


def slack_text_in(path: Path) -> list[str]:
    """Where a module writes Slack text or Block Kit: markup in a string (docstrings, which may describe
    Slack, aside), a `{"type": "section"}`-like block, a `blocks` key or `blocks=` argument, an import of
    slack_sdk (its models, webhooks and Web API post to Slack; Bolt's runtime is allowed)."""
    tree = ast.parse(path.read_text())
    documented = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    in_fstrings = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
    found = [
        f"line {n.lineno}: imports {i}" for n in ast.walk(tree) for i in _imported(n) if under(i, "slack_sdk")
    ]
    for node in ast.walk(tree):
        text = None
        if isinstance(node, ast.JoinedStr):  # f"<@{user}>": the parts around each value, as one text
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in documented and id(node) not in in_fstrings:
                text = node.value
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                name = key.value if isinstance(key, ast.Constant) else None
                kind = value.value if isinstance(value, ast.Constant) else None
                if name == "blocks" or (name == "type" and kind in BLOCK_KIT_TYPES):
                    found.append(f"line {node.lineno}: Block Kit {name}={kind or '…'}")
        elif isinstance(node, ast.keyword) and node.arg == "blocks":
            found.append(f"line {node.value.lineno}: blocks=")
        if text is not None and (markup := SLACK_MARKUP.search(text)):
            found.append(f"line {node.lineno}: Slack markup {markup.group(0)!r}")
    return found


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        return [node.module]
    return []


@pytest.mark.parametrize(("module", "path"), modules("bot"), ids=lambda v: str(v))
def test_handlers_own_every_slack_string(module: str, path: Path) -> None:
    """bot holds the runtime services; what Slack shows (texts, mrkdwn, blocks) and the posting of it
    are the handlers'. The composition root alone builds the Slack client."""
    found = [f for f in slack_text_in(path) if not (module in COMPOSITION_ROOTS and "imports slack_sdk" in f)]
    assert not found, f"{module} writes Slack text (move it to handlers/, pass codes or data): {found}"


def test_the_slack_text_checker_sees_a_violation(tmp_path: Path) -> None:
    """Each kind of Slack text is caught; plain sentences, ARNs, globs and docstrings about Slack are not."""
    cases = {
        'TEXT = "⚠️ I gave up"': "Slack markup",
        'def who(u):\n    return f"<@{u}> may"': "Slack markup '<@{}>'",
        'GROUP = "<!subteam^S1>"': "Slack markup",
        'HELP = "*Ask me* here"': "Slack markup '*Ask me*'",
        'LINK = "<https://x.example|the console>"': "Slack markup",
        'SAY = "done :white_check_mark:"': "Slack markup",
        'BLOCK = {"type": "section", "text": {}}': "Block Kit type=section",
        'MESSAGE = {"blocks": []}': "Block Kit blocks",
        "post(channel, blocks=[])": "blocks=",
        "from slack_sdk.models.blocks import SectionBlock": "imports slack_sdk.models.blocks",
        "import slack_sdk.webhook": "imports slack_sdk.webhook",
    }
    for source, expected in cases.items():
        (tmp_path / "bad.py").write_text(source + "\n")
        found = slack_text_in(tmp_path / "bad.py")
        assert any(expected in f for f in found), (source, found)
    (tmp_path / "fine.py").write_text(
        '"""Posts *bold* `<@U1>` mentions ⚠️ to Slack (a docstring may say so)."""\n'
        'ARN = "arn:aws:ecs:eu-west-1:123456789012:service/prod/web"\n'
        'KEY = f"alert:*:{region}:*|*"\n'
        'DONE = f"recovered at {clock} after {count} failures"\n'
        'KIND = {"type": "FARGATE"}\n'
        "from slack_bolt import App\n"
    )
    assert slack_text_in(tmp_path / "fine.py") == []
    assert slack_text_in(ROOT / "handlers" / "render" / "diagnosis.py"), (
        "the handlers' renderer is Slack text"
    )
    assert len(modules("bot")) >= 40


def imported_test_modules(path: Path, root: Path = ROOT) -> set[str]:
    """The `test_*` modules under tests/ that `path` imports (a test module is never a library)."""
    found = set()
    for name in imports_of(path):
        # from the repository root, or by bare name beside it (tests/deploy is not a package)
        for file in (root.joinpath(*name.split(".")).with_suffix(".py"), path.parent / f"{name}.py"):
            if file.name.startswith("test_") and file.is_file() and root / "tests" in file.parents:
                found.add(name)
    return found


def test_no_test_imports_another_test_module() -> None:
    """Shared builders live in tests/builders and shared fixtures in a conftest.py, so a test module can
    be renamed, split or deleted without breaking another one."""
    offenders = {
        name: sorted(imported_test_modules(path))
        for name, path in modules("tests")
        if imported_test_modules(path)
    }
    assert not offenders, f"test modules import test modules (move the helper to tests/builders): {offenders}"


def test_the_test_import_checker_sees_a_violation(tmp_path: Path) -> None:
    """A module importing a test module is caught, one importing a builder is not."""
    (tmp_path / "tests" / "bot").mkdir(parents=True)
    (tmp_path / "tests" / "bot" / "test_cli.py").write_text("")
    (tmp_path / "tests" / "builders").mkdir()
    (tmp_path / "tests" / "builders" / "cli.py").write_text("")
    user = tmp_path / "tests" / "bot" / "test_user.py"
    user.write_text("from tests.bot.test_cli import run\nfrom tests.builders.cli import invoke\n")
    assert imported_test_modules(user, tmp_path) == {"tests.bot.test_cli"}
    (tmp_path / "sibling.py").write_text("import tests.bot.test_cli\nfrom tests.bot import test_cli\n")
    assert imported_test_modules(tmp_path / "sibling.py", tmp_path) == {"tests.bot.test_cli"}
    (tmp_path / "tests" / "bot" / "test_bare.py").write_text("from test_cli import run\nimport helpers\n")
    assert imported_test_modules(tmp_path / "tests" / "bot" / "test_bare.py", tmp_path) == {"test_cli"}
    assert len(modules("tests")) >= 100


def reaches_bolts_listeners(path: Path) -> bool:
    """`x._listeners` anywhere in the module: Bolt's private list of registered listeners."""
    tree = ast.parse(path.read_text())
    return any(isinstance(node, ast.Attribute) and node.attr == "_listeners" for node in ast.walk(tree))


def test_no_test_reaches_bolts_private_listener_list(tmp_path: Path) -> None:
    """Listeners are module-level functions tests call directly; registration is tested by dispatching
    requests through Bolt (tests/handlers/test_register_all.py)."""
    offenders = [name for name, path in modules("tests") if reaches_bolts_listeners(path)]
    assert not offenders, f"these tests reach app._listeners: {offenders}"
    (tmp_path / "t.py").write_text("for listener in app._listeners:\n    pass\n")
    assert reaches_bolts_listeners(tmp_path / "t.py")
