"""Message reading: the quick ASCII reading of error types names the same types as the general one."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from diagnosis.signals import _ERROR_TYPE, _HTTP_STATUS, Message

_pieces = st.sampled_from(
    ["Error", "error", "Exception", "Exited", "Timeout", "Cannot", "Pull", "Container", "x", "2", "_", " ",
     ":", "-", ".", "(", "ResourceInitializationError", "TimeoutError", "errorerror", "\u0131", "K"]
)  # fmt: skip


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.one_of(_pieces, st.text(max_size=3)), max_size=12).map("".join))
def test_error_types_are_the_words_ending_in_an_error_suffix(text: str) -> None:
    expected = tuple(m.group(1).lower() for m in _ERROR_TYPE.finditer(text))
    assert Message(text).error_types == expected


def test_error_types_outermost_first() -> None:
    msg = Message(
        "CannotStartContainerError: ResourceInitializationError: failed; Error 2 TaskFailedTimeout_x"
    )
    assert msg.error_types == ("cannotstartcontainererror", "resourceinitializationerror")


_digits = st.sampled_from(["404", "403", "1234", "200", "599", "600", "12", " ", ".", ":", "/", "@", "#", "-", "a", "_",
                           "(", ")", "\u0661\u0662\u0663", "status: "])  # fmt: skip


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.one_of(_digits, st.text(max_size=3)), max_size=12).map("".join))
def test_statuses_are_the_standalone_three_digit_numbers(text: str) -> None:
    expected = frozenset(int(m.group(1)) for m in _HTTP_STATUS.finditer(text))
    assert Message(text).statuses == expected
