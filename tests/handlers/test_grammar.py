"""The `/ecs-why` command language: every verb and flag, quoting, errors that say what to type instead,
and `Command.text()` (what a button carries) parsing back to the same command."""

from __future__ import annotations

import shlex

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diagnosis.knowledge import CATALOG
from handlers.grammar import ALLOWED, USAGE, VERBS, Command, CommandError, parse_command, split_words


@pytest.mark.parametrize("text", ["", "   ", "help", "-h", "--help", "help web-api"])
def test_help_and_bare_command(text: str) -> None:
    assert parse_command(text) == Command("help")


def test_usage_names_every_verb_but_diagnose() -> None:
    for verb in VERBS:
        if verb not in ("diagnose", "help"):
            assert verb in USAGE


def test_diagnose_with_every_flag() -> None:
    cmd = parse_command("web-api --cluster prod --region eu-west-1 --account payments --since 6h")
    assert cmd == Command("diagnose", "web-api", "prod", "eu-west-1", "payments", "6h")


def test_flag_equals_value() -> None:
    cmd = parse_command("web-api --cluster=prod --region=eu-west-1 --account=payments --since=6h")
    assert cmd == Command("diagnose", "web-api", "prod", "eu-west-1", "payments", "6h")


def test_flags_before_the_target() -> None:
    assert parse_command("--cluster prod web-api").target == "web-api"


def test_cluster_service_and_arn_targets() -> None:
    assert parse_command("prod/web-api").target == "prod/web-api"
    arn = "arn:aws:ecs:us-east-1:123456789012:service/prod/web-api"
    assert parse_command(arn).target == arn


def test_subscribe_with_only_and_all() -> None:
    cmd = parse_command("subscribe web-api --cluster prod --only oom,app_error --all")
    assert cmd == Command("subscribe", "web-api", "prod", only=("oom", "app_error"), all=True)


def test_only_tolerates_spaces_and_empty_items() -> None:
    assert parse_command("subscribe web --only 'oom, app_error,'").only == ("oom", "app_error")


def test_unsubscribe_target_or_all() -> None:
    assert parse_command("unsubscribe web-api") == Command("unsubscribe", "web-api")
    assert parse_command("unsubscribe --all") == Command("unsubscribe", all=True)


def test_subscriptions_and_history() -> None:
    assert parse_command("subscriptions") == Command("subscriptions")
    assert parse_command("history web-api --since 7d") == Command("history", "web-api", since="7d")


def test_quoted_values() -> None:
    cmd = parse_command('"web api" --cluster "my cluster"')
    assert cmd.target == "web api" and cmd.cluster == "my cluster"


def test_unbalanced_quote_says_to_quote() -> None:
    with pytest.raises(CommandError, match="quote values"):
        parse_command('web-api --cluster "prod')


@pytest.mark.parametrize(
    ("text", "verb"),
    [
        ("web --clutser prod", "diagnose"),
        ("web --only oom", "diagnose"),
        ("subscribe web --since 1h", "subscribe"),
        ("history web --all", "history"),
        ("subscriptions --cluster prod", "subscriptions"),
    ],
)
def test_unknown_flag_lists_the_valid_ones(text: str, verb: str) -> None:
    with pytest.raises(CommandError) as info:
        parse_command(text)
    message = str(info.value)
    assert "unknown option" in message and f"`{verb}`" in message
    for flag in ALLOWED[verb]:
        assert flag in message
    if not ALLOWED[verb]:
        assert "none" in message


def test_unknown_flag_with_equals_names_only_the_flag() -> None:
    with pytest.raises(CommandError, match="unknown option --clutser for"):
        parse_command("web --clutser=prod")


@pytest.mark.parametrize("flag", ["--cluster", "--region", "--account", "--since"])
def test_missing_value_at_the_end(flag: str) -> None:
    with pytest.raises(CommandError, match=f"{flag} needs a value, e.g. {flag} "):
        parse_command(f"web {flag}")


def test_a_repeated_flag_left_without_a_value_is_refused() -> None:
    with pytest.raises(CommandError, match="--cluster needs a value"):
        parse_command("web --cluster prod --cluster")


def test_missing_value_before_another_flag() -> None:
    with pytest.raises(CommandError, match="--cluster needs a value"):
        parse_command("web --cluster --region eu-west-1")


def test_only_missing_value() -> None:
    with pytest.raises(CommandError, match=r"--only needs a value, e\.g\. --only oom,app_error"):
        parse_command("subscribe web --only")


def test_unknown_categories_list_the_valid_ones() -> None:
    with pytest.raises(CommandError) as info:
        parse_command("subscribe web --only oom,oops,nope")
    message = str(info.value)
    assert "oops, nope" in message
    for category in CATALOG:
        assert category in message


@pytest.mark.parametrize("verb", ["", "subscribe ", "history ", "unsubscribe ", "check ", "exec-check "])
def test_verbs_that_need_a_target(verb: str) -> None:
    with pytest.raises(CommandError, match="needs a target"):
        parse_command(f"{verb}--cluster prod")


def test_one_target_at_a_time() -> None:
    with pytest.raises(CommandError, match="one target at a time"):
        parse_command("web api --cluster prod")


def test_text_of_a_plain_diagnose_has_no_verb() -> None:
    assert Command("diagnose", "web-api", cluster="prod").text() == "web-api --cluster prod"


def test_text_quotes_values_with_spaces() -> None:
    cmd = Command("diagnose", "web api", cluster="my cluster")
    assert parse_command(cmd.text()) == cmd


# ------------------------------------------------------------------ round trip (property)

_word = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"), exclude_characters="\x00"
    ),
    min_size=1,
    max_size=20,
).filter(lambda s: s.strip() == s and not s.startswith("-") and s.strip())
_plain = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_./:-]{0,30}", fullmatch=True)
_value = st.one_of(_plain, _word)
_target = st.one_of(_plain, _word).filter(lambda s: s not in (*VERBS, "-h"))
_categories = st.lists(st.sampled_from(sorted(CATALOG)), max_size=3, unique=True).map(tuple)


@st.composite
def commands(draw: st.DrawFn) -> Command:
    verb = draw(st.sampled_from([v for v in VERBS if v != "help"]))
    allowed = ALLOWED[verb]

    def maybe(flag: str) -> str | None:
        return draw(st.one_of(st.none(), _value)) if flag in allowed else None

    only = draw(_categories) if "--only" in allowed else ()
    every = draw(st.booleans()) if "--all" in allowed else False
    if verb == "subscriptions":
        target = ""
    elif verb == "unsubscribe" and every:
        target = draw(st.one_of(st.just(""), _target))
    else:
        target = draw(_target)
    return Command(
        verb,
        target,
        maybe("--cluster"),
        maybe("--region"),
        maybe("--account"),
        maybe("--since"),
        only,
        every,
    )


@settings(max_examples=300, deadline=None)
@given(commands())
def test_text_round_trips_through_parse(cmd: Command) -> None:
    assert parse_command(cmd.text()) == cmd


def test_text_round_trips_a_value_that_looks_like_a_flag() -> None:
    cmd = Command("diagnose", "web", cluster="--prod")
    assert parse_command(cmd.text()) == cmd


@pytest.mark.parametrize("name", ["history", "subscriptions", "help"])
def test_text_round_trips_a_service_named_like_a_verb(name: str) -> None:
    cmd = Command("diagnose", name, cluster="prod")
    assert parse_command(cmd.text()) == cmd


def test_check_takes_a_service_and_no_since() -> None:
    from handlers.grammar import CommandError, parse_command

    parsed = parse_command("check web-api --cluster prod")
    assert (parsed.verb, parsed.target, parsed.cluster) == ("check", "web-api", "prod")
    assert parsed.text() == "check web-api --cluster prod"
    for bad in ("check", "check web-api --since 1h"):
        try:
            parse_command(bad)
        except CommandError:
            continue
        raise AssertionError(f"{bad!r} was accepted")


def test_exec_check_reads_its_flags_and_refuses_others() -> None:
    from handlers.grammar import check_command, read_command

    command = read_command("Exec-Check prod/web —region eu-west-1")
    assert (command.verb, command.target, command.region) == ("exec-check", "prod/web", "eu-west-1")
    assert parse_command(command.text()) == command  # its Re-run button
    with pytest.raises(CommandError, match="unknown option --since for `exec-check`"):
        parse_command("exec-check web --since 1h")
    with pytest.raises(CommandError, match="is not a target"):
        check_command(parse_command("exec-check 'web api!'"), set())


TYPED = st.sampled_from(["web", "--cluster", " ", "\t", "\n", "\u00a0", "\u2003", "'", '"', "\\", "a b", "é"])


@settings(max_examples=300, deadline=None)
@given(st.lists(TYPED, max_size=10).map("".join))
def test_words_are_split_as_shlex_splits_them(text: str) -> None:
    """A command without quotes skips shlex's character walk and reads the same words (non-ASCII spaces
    included, which shlex keeps inside a word)."""
    try:
        expected: list[str] | str = shlex.split(text)
    except ValueError as error:
        expected = str(error)
    try:
        got: list[str] | str = split_words(text)
    except ValueError as error:
        got = str(error)
    assert got == expected


@pytest.mark.parametrize("typed", ['web --cluster ""', "web --cluster=", "web --since ' '", "web --region="])
def test_an_empty_value_is_no_value(typed: str) -> None:
    """`--cluster "$CLUSTER"` with the variable unset is refused, not read as "every cluster"."""
    with pytest.raises(CommandError, match=r"^--(cluster|since|region) needs a value, e\.g\. "):
        parse_command(typed)
