"""SMS lengths as the network counts them, and `fit`: one segment where it can, the officer's
words shortened before the fixed part, a reference number never cut or split."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from feedback import sms_text
from feedback.references import format_reference

REF = "123 456 7890"


def test_lengths_count_extended_characters_twice_and_non_gsm_as_ucs2():
    assert sms_text.length("abc") == 3
    assert sms_text.length("a{b}") == 6  # { and } take an escape each
    assert sms_text.encoding("Habari") == "gsm7"
    assert sms_text.encoding("Habari…") == "ucs2"  # the ellipsis character
    assert sms_text.parts("x" * 160) == ["x" * 160]
    assert [len(p) for p in sms_text.parts("x" * 161)] == [153, 8]
    assert [len(p) for p in sms_text.parts("é" * 10 + "ğ" * 70)] == [67, 13]


def test_the_free_part_is_shortened_at_a_word_and_the_fixed_part_kept():
    answer = "We replaced the meter at your kiosk and refunded the extra charge " * 3
    text = f"Mrejesho {REF}: your case is resolved: {answer} Not resolved? Reply NO 1234567890."
    fitted = sms_text.fit(text, free=answer)
    assert sms_text.length(fitted) <= 160
    assert fitted.startswith(f"Mrejesho {REF}: your case is resolved: We replaced")
    assert fitted.endswith("... Not resolved? Reply NO 1234567890.")


def test_a_non_gsm_character_means_seventy_unless_the_cut_drops_it():
    answer = "✓ Tumebadilisha mita ya kioski chako na kurudisha malipo ya ziada " * 2
    fitted = sms_text.fit(f"Mrejesho {REF}: {answer}", free=answer)
    assert sms_text.encoding(fitted) == "ucs2" and sms_text.length(fitted) <= 70
    assert fitted.startswith(f"Mrejesho {REF}: ✓ Tumebadilisha")
    # the non-GSM character late in a long answer: the start before it fits 160 in GSM-7
    late = "Tumebadilisha mita ya kioski chako na kurudisha malipo ya ziada " * 2 + "✓"
    fitted = sms_text.fit(f"Mrejesho {REF}: {late}", free=late)
    assert sms_text.encoding(fitted) == "gsm7" and 70 < sms_text.length(fitted) <= 160


def test_a_long_fixed_text_goes_in_parts_with_no_reference_across_two():
    text = "x" * 150 + f" {REF} " + "y" * 100
    pieces = sms_text.parts(sms_text.fit(text))
    assert len(pieces) == 2
    assert any(REF in piece for piece in pieces)


words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz{}€éğ.,?", min_size=1, max_size=12)
free_texts = st.lists(st.one_of(words, st.just(REF)), max_size=60).map(" ".join)
fixed_parts = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", max_size=120).map(str.strip)
references = st.integers(min_value=10**9, max_value=10**10 - 1).map(
    lambda n: format_reference(str(n))
)


def squeeze(text: str) -> str:
    return " ".join(text.split())


@settings(max_examples=300, deadline=None)
@given(start=fixed_parts, ref=references, free=free_texts, end=fixed_parts)
def test_fit_keeps_the_fixed_part_and_every_reference_whole(start, ref, free, end):
    text = f"Mrejesho {ref}: {start} {free} {end} Reply NO {ref}."
    fitted = sms_text.fit(text, free=free)
    single = 160 if sms_text.encoding(fitted) == "gsm7" else 70
    fixed = sms_text.length(text) - sms_text.length(free)
    if fixed + len(sms_text.ELLIPSIS) <= single:
        assert sms_text.length(fitted) <= single  # one segment whenever it can be
    # the fixed part is all there (a reference may be pushed to the next part by spaces)
    assert squeeze(fitted).startswith(squeeze(f"Mrejesho {ref}: {start}"))
    assert squeeze(fitted).endswith(squeeze(f"{end} Reply NO {ref}."))
    assert squeeze(fitted).count(ref) >= 2
    # no reference is cut (every run of digits is whole references) ...
    for run in re.findall(r"\d+(?: \d+)*", fitted):
        assert len(run.replace(" ", "")) % 10 == 0
    # ... nor split between two parts of a long message
    ends, offset = [], 0
    for piece in sms_text.parts(fitted)[:-1]:
        offset += len(piece)
        ends.append(offset)
    for found in sms_text.REFERENCE.finditer(fitted):
        assert not any(found.start() < end < found.end() for end in ends)


@given(free=free_texts, budget=st.integers(min_value=0, max_value=200))
def test_shorten_is_a_start_of_the_text_within_the_budget(free, budget):
    enc = sms_text.encoding(free)
    short = sms_text.shorten(free, budget, enc)
    assert sum(sms_text._width(c, enc) for c in short) <= budget
    core = short.removesuffix(sms_text.ELLIPSIS)
    assert free.startswith(core)
    for run in re.findall(r"\d+(?: \d+)*", core):
        assert len(run.replace(" ", "")) % 10 == 0
