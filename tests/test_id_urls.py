"""core.urls.id_url writes the same address as reverse() (rosters and lists write hundreds)."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

from core.urls import id_url


@pytest.mark.parametrize(
    "name", ["participants:person_detail", "trainings:event_detail", "imports:batch_detail"]
)
@pytest.mark.parametrize("prefix", ["/", "/qadam/"])
def test_an_id_url_is_the_reversed_address(name, prefix):
    set_script_prefix(prefix)
    try:
        for pk in (1, 7, 42, 918273645, 10**12):
            assert id_url(name, pk) == reverse(name, args=[pk])
        assert id_url(name, 5).startswith(prefix)
    finally:
        set_script_prefix("/")


def test_a_route_without_one_id_is_refused():
    with pytest.raises(NoReverseMatch):
        id_url("home", 1)
