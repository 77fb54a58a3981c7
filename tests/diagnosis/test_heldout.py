"""First contact on the held-out set (data/heldout/README.md): a floor at what was measured, never tuned to.

The floor only says the engine did not get worse on texts it was never fitted to; raising it needs a new
held-out set, not a fix aimed at these entries."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from diagnosis.engine import diagnose
from diagnosis.intake import InputError, read_input
from tests.diagnosis import heldout
from tests.diagnosis.heldout import (
    FIFTH,
    FOURTH,
    HELDOUT,
    SECOND,
    SETS,
    SEVENTH,
    SIXTH,
    THIRD,
    cases,
    entries,
    generic_wordings,
    known_overlaps,
    leaks,
    score,
    words,
)

MEASURED_RIGHT = 47  # of 51, measured at first contact (README)
SECOND_MEASURED_RIGHT = 54  # of 57, measured at first contact on 2026-12-01, main at a1c3eeb (README)
THIRD_MEASURED_RIGHT = 43  # of 58, measured at first contact on 2026-12-01, main at 54b5c83 (README)
FOURTH_MEASURED_RIGHT = 34  # of 41, measured at first contact on 2026-12-01, main at f5fdb2d (README)
FIFTH_MEASURED_RIGHT = 32  # of 38, measured at first contact on 2026-12-02, main at 6a33a74 (README)
SIXTH_MEASURED_RIGHT = 37  # of 45, measured at first contact on 2026-12-02, main at 8e6ce39 (README)
SEVENTH_MEASURED_RIGHT = 32  # of 51, measured at first contact on 2026-12-02, main at efde5f7 (README)


def explain(text: str) -> list[str] | None:
    try:
        intake = read_input(text)
    except InputError:
        return None
    return [f.category for f in diagnose(intake.observations, gaps=intake.gaps).findings]


def test_no_held_out_source_is_a_tuning_source_or_another_sets() -> None:
    tuning = {
        e["source"]
        for name in ("wordings.jsonl", "wordings_more.jsonl")
        for e in entries(HELDOUT.parent / name)
    }
    sets = [{e["source"] for e in entries(file)} for file in SETS]
    for i, held_out in enumerate(sets):
        assert not held_out & tuning
        for other in sets[i + 1 :]:
            assert not held_out & other


def test_no_held_out_wording_is_in_a_tuning_file_or_another_set() -> None:
    assert leaks() == []


def _renumbered(text: str) -> str:
    """The same wording with other IDs and numbers, as a copy under another source would have."""
    return re.sub(r"\d", lambda m: str((int(m.group()) + 3) % 10), text)


@pytest.mark.parametrize("file", SETS, ids=lambda f: f.name)
def test_a_held_out_wording_copied_under_another_source_and_other_ids_is_found(
    tmp_path: Path, file: Path
) -> None:
    entry = max(entries(file), key=lambda e: len(words(e["input"])))
    copy = {"id": "t1", "source": "https://example.com/another", "event_message": _renumbered(entry["input"])}
    (tmp_path / "wordings_copy.jsonl").write_text(json.dumps(copy) + "\n")
    (tmp_path / "test_copy.py").write_text(f"REASON = {_renumbered(entry['input'])!r}\n")
    assert [leak.split(": ")[0] for leak in leaks(roots=[tmp_path])] == [f"{file.name}:{entry['id']}"]


ECS_PLACEMENT_EVENT = (
    "service web was unable to place a task because no container instance met all of its requirements. The closest "
    "matching container instance 0123abcd has insufficient memory available. For more information, see the "
    "Troubleshooting section of the Amazon ECS Developer Guide."
)


def test_ecs_own_wording_recurring_in_a_tuning_file_is_allowed_only_as_the_readme_documents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "test_placement.py").write_text(f"EVENT = {ECS_PLACEMENT_EVENT!r}\n")
    assert leaks(roots=[tmp_path]) == []
    monkeypatch.setattr(heldout, "generic_wordings", lambda: [])
    assert leaks(roots=[tmp_path]), "the event is in held-out texts: without the README's list it is a leak"


def test_every_generic_wording_says_why_and_is_in_a_held_out_text() -> None:
    held = [" ".join(words(e["input"])) for file in SETS for e in entries(file)]
    for wording, why in generic_wordings():
        assert why, wording
        pattern = heldout._pattern(wording)
        assert any(pattern.search(text) for text in held), f"{wording!r} allows nothing"


def test_every_known_overlap_says_why_and_is_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    overlaps = known_overlaps()
    for overlap in overlaps:
        assert overlap[2], overlap
        monkeypatch.setattr(heldout, "known_overlaps", lambda o=overlap: [x for x in overlaps if x != o])
        assert any(f":{overlap[0]}: " in leak for leak in leaks()), f"{overlap} allows nothing"


def test_the_held_out_set_is_whole() -> None:
    assert len(entries()) == 21
    assert sum(1 for _ in cases()) == 51


def test_first_contact_does_not_fall_below_what_was_measured() -> None:
    right, total, wrong = score(explain)
    assert right >= MEASURED_RIGHT, f"{right}/{total} right; wrong: {wrong}"


def test_the_second_held_out_set_is_whole() -> None:
    assert len(entries(SECOND)) == 24
    assert sum(1 for _ in cases(SECOND)) == 57


def test_first_contact_on_the_second_set_does_not_fall_below_what_was_measured() -> None:
    right, total, wrong = score(explain, SECOND)
    assert right >= SECOND_MEASURED_RIGHT, f"{right}/{total} right; wrong: {wrong}"


def test_the_third_held_out_set_is_whole() -> None:
    assert len(entries(THIRD)) == 31
    assert sum(1 for _ in cases(THIRD)) == 58


def test_first_contact_on_the_third_set_does_not_fall_below_what_was_measured() -> None:
    right, total, wrong = score(explain, THIRD)
    assert right >= THIRD_MEASURED_RIGHT, f"{right}/{total} right; wrong: {wrong}"


def test_the_fourth_held_out_set_is_whole() -> None:
    assert len(entries(FOURTH)) == 26
    assert sum(1 for _ in cases(FOURTH)) == 41


def test_first_contact_on_the_fourth_set_does_not_fall_below_what_was_measured() -> None:
    right, total, wrong = score(explain, FOURTH)
    assert right >= FOURTH_MEASURED_RIGHT, f"{right}/{total} right; wrong: {wrong}"


def test_the_fifth_held_out_set_is_whole() -> None:
    assert len(entries(FIFTH)) == 35
    assert sum(1 for _ in cases(FIFTH)) == 38


def test_first_contact_on_the_fifth_set_does_not_fall_below_what_was_measured() -> None:
    right, total, wrong = score(explain, FIFTH)
    assert right >= FIFTH_MEASURED_RIGHT, f"{right}/{total} right; wrong: {wrong}"


def test_the_sixth_held_out_set_is_whole() -> None:
    assert len(entries(SIXTH)) == 45
    assert sum(1 for _ in cases(SIXTH)) == 45
    assert {e["category"] for e in entries(SIXTH)} >= {"refuse", "none"}


def test_first_contact_on_the_sixth_set_does_not_fall_below_what_was_measured() -> None:
    right, total, wrong = score(explain, SIXTH)
    assert right >= SIXTH_MEASURED_RIGHT, f"{right}/{total} right; wrong: {wrong}"


def test_the_seventh_held_out_set_is_whole() -> None:
    assert len(entries(SEVENTH)) == 51
    assert sum(1 for _ in cases(SEVENTH)) == 51
    assert {e["category"] for e in entries(SEVENTH)} >= {"refuse", "none"}


def test_first_contact_on_the_seventh_set_does_not_fall_below_what_was_measured() -> None:
    right, total, wrong = score(explain, SEVENTH)
    assert right >= SEVENTH_MEASURED_RIGHT, f"{right}/{total} right; wrong: {wrong}"
