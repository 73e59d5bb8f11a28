"""A cleaned import row crosses to the importing process with its cells, mapping and values packed, and
gives them back unchanged when asked (an update, an error), writable as before."""

from __future__ import annotations

import pickle
from datetime import date

from peyvand.customers.importing.cleaning import PreparedRow
from peyvand.customers.importing.mapping import RowData


def _row() -> PreparedRow:
    parsed = RowData(data={"first_name": "علی", "birth_date": "1370/01/02"}, owner="agent_a", columns={"first_name": 0})
    values = {"kind": "person", "first_name": "علی", "birth_date": date(1991, 3, 22), "phones": [{"number": "+98912"}]}
    return PreparedRow(7, ["علی", "1370/01/02", ""], parsed, values, keys=["p:+98912"], problems=[(1, "x")])


def test_a_row_sent_across_opens_its_packed_parts_equal_to_what_was_sent():
    row = _row()
    sent = pickle.loads(pickle.dumps(row, pickle.HIGHEST_PROTOCOL))  # noqa: S301 - pickled just above
    assert (sent.line, sent.keys, sent.problems, sent.built) == (7, ["p:+98912"], [(1, "x")], None)
    assert sent._packed is not None  # nothing opened yet
    assert sent.values == row.values
    assert sent.parsed == row.parsed and sent.cells == row.cells
    assert sent._packed is None


def test_values_set_on_a_packed_row_win_over_the_packed_ones_and_cross_again():
    sent = pickle.loads(pickle.dumps(_row()))  # noqa: S301 - pickled just above
    sent.values = None  # what the writer does to a row it rejects
    assert sent.values is None and sent.cells[0] == "علی"
    again = pickle.loads(pickle.dumps(sent))  # noqa: S301 - pickled just above
    assert again.values is None and again.parsed.owner == "agent_a"
    # A row still packed crosses again without being opened.
    packed = pickle.loads(pickle.dumps(_row()))  # noqa: S301 - pickled just above
    twice = pickle.loads(pickle.dumps(packed))  # noqa: S301 - pickled just above
    assert packed._packed is not None and twice.values["birth_date"] == date(1991, 3, 22)
