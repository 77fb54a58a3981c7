"""First contact on the held-out set (tests/diagnosis/data/heldout/): real reasons and whole documents from
public sources, never tuned on. Each reason is also pasted framed in prose and as the JSON shapes people
paste (a task fragment, a --query projection). Seven sets, gathered at different times: `FIRST` (issue 10),
`SECOND` (session 4), `THIRD` (session 5), `FOURTH` (session 6), `FIFTH` (session 7), `SIXTH`
(session 8) and `SEVENTH` (session 9); each has its own floor in test_heldout.py. `leaks` finds a held-out
text whose wording is also in a tuning file or another set."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

HELDOUT = Path(__file__).parent / "data" / "heldout"
FIRST = HELDOUT / "documents.jsonl"
SECOND = HELDOUT / "documents_2.jsonl"
THIRD = HELDOUT / "documents_3.jsonl"
FOURTH = HELDOUT / "documents_4.jsonl"
FIFTH = HELDOUT / "documents_5.jsonl"
SIXTH = HELDOUT / "documents_6.jsonl"
SEVENTH = HELDOUT / "documents_7.jsonl"
SETS = (FIRST, SECOND, THIRD, FOURTH, FIFTH, SIXTH, SEVENTH)
PROSE = "hey team, prod started failing right after this morning's deploy:\n{}\nanyone seen this before?"

# explain(text) -> (categories of the findings, in order) or None when the input was refused
Explain = Callable[[str], "list[str] | None"]


def entries(file: Path = FIRST) -> list[dict]:
    return [json.loads(line) for line in file.read_text().splitlines() if line.strip()]


def _is_event(text: str) -> bool:
    return text.lower().startswith(("service ", "(service "))


def cases(file: Path = FIRST) -> Iterator[tuple[str, str, dict]]:
    """(case id, pasted text, entry): each document as it is; each reason bare, in prose, and as JSON."""
    for entry in entries(file):
        text = entry["input"]
        if entry["form"] == "document":
            yield entry["id"], text, entry
            continue
        yield f"{entry['id']}-bare", text, entry
        yield f"{entry['id']}-prose", PROSE.format(text), entry
        if _is_event(text):
            yield (
                f"{entry['id']}-events",
                json.dumps({"serviceName": "my-service", "events": [{"message": text}]}),
                entry,
            )
            yield f"{entry['id']}-projection", json.dumps([text]), entry
        else:
            yield (
                f"{entry['id']}-fragment",
                json.dumps({"lastStatus": "STOPPED", "stoppedReason": text}),
                entry,
            )
            yield f"{entry['id']}-projection", json.dumps([[text]]), entry


def right(entry: dict, found: list[str] | None) -> bool:
    """What a user would check: the first finding names the cause (or, for "none", nothing is claimed and
    the input is not refused; for "refuse", a text with nothing about ECS is refused); every cause a
    multi-message document holds is found."""
    if entry["category"] == "refuse":
        return found is None
    if found is None:
        return False
    if entry["category"] == "none":
        return not found
    if not found or found[0] not in [entry["category"], *entry["acceptable"]]:
        return False
    return all(c in found for c in entry.get("expect_all", []))


def score(explain: Explain, file: Path = FIRST) -> tuple[int, int, list[str]]:
    """(right, total, ids of the wrong ones)."""
    wrong = [case_id for case_id, text, entry in cases(file) if not right(entry, explain(text))]
    total = sum(1 for _ in cases(file))
    return total - len(wrong), total, wrong


# ------------------------------------------------------------------ leaks: a held-out wording seen elsewhere

RUN = 12  # words: a shared run this long is wording, not a coincidence of a few common words
REPO = HELDOUT.parents[3]
# Where tuning (and so leaking) happens: every test's data and code, the rules, and whatever else ships text (the
# bot's demo world, the handlers, benchmarks, docs). Not this set's own files.
TUNING_ROOTS = tuple(REPO / d for d in ("tests", "diagnosis", "bot", "handlers", "bench", "docs"))
TUNING_SUFFIXES = {".py", ".json", ".jsonl", ".md", ".txt", ".yaml"}
_NOT_TUNING = {HELDOUT, Path(__file__), Path(__file__).parent / "test_heldout.py"}

# IDs say nothing about wording: ARNs and ECR registry hosts go whole, any token holding a digit goes
# (numbers, hex ids, timestamps, versions). Keys of JSON or Python dicts are the document's shape, not wording.
_IDS = re.compile(r"arn:aws[\w-]*:[^\s\"'\\,)\]}]*|[\w-]*\.dkr\.ecr\.[\w.-]*")
_ESCAPES = re.compile(r"\\+[nrt]|\\+")
_KEYS = re.compile(r"""["'][A-Za-z_][\w.-]*["']\s*:""")
_TOKEN = re.compile(r"[\w']+")


def words(text: str) -> list[str]:
    """The text's wording, normalised: lower case, words only, IDs, numbers and dict keys dropped."""
    text = _KEYS.sub(" ", _ESCAPES.sub(" ", _IDS.sub(" ", text)))
    tokens = (t.strip("'_") for t in _TOKEN.findall(text.lower()))
    return [t for t in tokens if t and not any(c.isdigit() for c in t)]


def runs(seq: list[str]) -> Iterator[tuple[int, tuple[str, ...]]]:
    for i in range(len(seq) - RUN + 1):
        yield i, tuple(seq[i : i + RUN])


def _fenced(heading: str, readme: Path = HELDOUT / "README.md") -> list[list[str]]:
    """The fields (split on " | ") of each line of the fenced block under the README's `heading`."""
    block = readme.read_text().split(f"## {heading}\n", 1)[1].split("```", 2)[1]
    return [[f.strip() for f in line.split(" | ")] for line in block.splitlines() if line.strip()]


def generic_wordings() -> list[tuple[str, str]]:
    """(wording, why) for each fixed message of ECS, its agent, Docker or AWS that may recur anywhere."""
    return [(wording, why) for wording, why in _fenced("Generic wordings")]


def known_overlaps() -> list[tuple[str, str, str]]:
    """(entry id, wording, why): shared wording found after a set was measured, allowed in that entry only."""
    return [(entry_id, wording, why) for entry_id, wording, why in _fenced("Known overlaps")]


def _pattern(wording: str) -> re.Pattern[str]:
    """A wording over normalised words: `*` is any one word (a region's part), `**` up to four (a name)."""
    regex = ""
    for piece in wording.split():
        if piece == "**":
            regex += r"(?:\S+ ){0,4}"
        else:
            regex += "".join(w + " " for w in ([r"\S+"] if piece == "*" else map(re.escape, words(piece))))
    return re.compile(r"(?=(?<!\S)(" + regex.rstrip() + r")(?!\S))")


def _covered(seq: list[str], allowed: Iterable[re.Pattern[str]]) -> list[bool]:
    """Which words of `seq` lie inside an occurrence of an allowed wording."""
    text = " ".join(seq)
    word_at = [i for i, w in enumerate(seq) for _ in range(len(w) + 1)]
    covered = [False] * len(seq)
    for pattern in allowed:
        for match in pattern.finditer(text):
            first, last = word_at[match.start(1)], word_at[match.end(1) - 1]
            covered[first : last + 1] = [True] * (last - first + 1)
    return covered


def _tuning_files(roots: Iterable[Path]) -> Iterator[Path]:
    for root in roots:
        for path in sorted(root.rglob("*")):
            mine = any(path == p or p in path.parents for p in _NOT_TUNING)
            if path.suffix in TUNING_SUFFIXES and "__pycache__" not in path.parts and not mine:
                yield path


def leaks(sets: Iterable[Path] = SETS, roots: Iterable[Path] = TUNING_ROOTS) -> list[str]:
    """Each held-out text whose wording (a run of RUN normalised words not inside an allowed generic
    wording) is also in a tuning file or in another held-out set: "set:id: the run (where)"."""
    allowed = [_pattern(w) for w, _ in generic_wordings()]
    known: dict[str, list[re.Pattern[str]]] = {}
    for entry_id, wording, _ in known_overlaps():
        known.setdefault(entry_id, []).append(_pattern(wording))
    held: dict[tuple[str, str], list[str]] = {}
    for file in sets:
        for entry in entries(file):
            held[(file.name, entry["id"])] = words(entry["input"])
    where: dict[tuple[str, ...], set[str]] = {}
    for (name, _), seq in held.items():
        for _, run in runs(seq):
            where.setdefault(run, set()).add(name)
    for path in _tuning_files(roots):
        for _, run in runs(words(path.read_text(errors="replace"))):
            if run in where:
                where[run].add(str(path))
    found = []
    for (name, entry_id), seq in held.items():
        covered = _covered(seq, allowed + known.get(entry_id, []))
        for i, run in runs(seq):
            elsewhere = sorted(where[run] - {name})
            if elsewhere and not all(covered[i : i + RUN]):
                found.append(f"{name}:{entry_id}: {' '.join(run)} ({', '.join(elsewhere)})")
                break
    return found
