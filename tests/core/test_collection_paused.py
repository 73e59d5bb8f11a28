"""Batch work pauses Python's cycle collector and gives it back as it found it, even on an error."""

from __future__ import annotations

import gc

import pytest

from peyvand.core.processes import collection_paused


@pytest.fixture(autouse=True)
def _collector_back_on():
    yield
    gc.enable()


def test_the_collector_is_paused_inside_and_running_again_after():
    gc.enable()
    with collection_paused():
        assert not gc.isenabled()
        with collection_paused():  # nested: the inner one must not switch it back on
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_inside_still_gives_the_collector_back():
    gc.enable()
    with pytest.raises(ValueError), collection_paused():
        raise ValueError
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    with collection_paused():
        pass
    assert not gc.isenabled()
