"""Checked claims print one stable line when they hold and stop execution when they do not;
the base seed comes from DLBOOK_SEED; diagram primitives draw what they are given."""
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from dlbook import diagrams
from dlbook.claims import MARK, ClaimFailed, claim
from dlbook.device import base_seed


def test_a_claim_that_holds_prints_one_line_with_its_evidence(capsys):
    claim("depth 3 ends lower than depth 1", 1e-5 < 1e-3, "1e-5 vs 1e-3")
    assert capsys.readouterr().out == MARK + "depth 3 ends lower than depth 1 (1e-5 vs 1e-3)\n"


def test_a_claim_without_evidence_prints_the_statement_alone(capsys):
    claim("the loss went down", np.bool_(True))
    assert capsys.readouterr().out == "✓ the loss went down\n"


def test_a_false_claim_raises_and_prints_nothing(capsys):
    with pytest.raises(ClaimFailed, match="claim does not hold: Adam wins \\(0.3 vs 0.2\\)"):
        claim("Adam wins", 0.3 < 0.2, "0.3 vs 0.2")
    assert capsys.readouterr().out == ""
    assert issubclass(ClaimFailed, AssertionError)


@pytest.mark.parametrize("holds", [1, 0.5, np.array([True, True]), None, "yes"])
def test_holds_must_be_a_boolean_not_something_truthy(holds):
    with pytest.raises(ValueError, match="holds: expected a bool"):
        claim("anything", holds)


@pytest.mark.parametrize("statement", ["", "   ", None, 3])
def test_statement_must_be_a_sentence(statement):
    with pytest.raises(ValueError, match="statement"):
        claim(statement, True)


def test_evidence_must_be_text():
    with pytest.raises(ValueError, match="evidence"):
        claim("x", True, 3.5)


def test_base_seed_reads_the_environment(monkeypatch):
    monkeypatch.delenv("DLBOOK_SEED", raising=False)
    assert base_seed() == 0
    monkeypatch.setenv("DLBOOK_SEED", " 7 ")
    assert base_seed() == 7
    for bad in ("-1", "one", "1.5"):
        monkeypatch.setenv("DLBOOK_SEED", bad)
        with pytest.raises(ValueError, match="DLBOOK_SEED"):
            base_seed()


def test_canvas_spans_the_requested_units_and_has_no_frame():
    fig, ax = diagrams.canvas(8, 3, scale=0.5)
    assert ax.get_xlim() == (0, 8) and ax.get_ylim() == (0, 3)
    assert not ax.axison
    assert tuple(fig.get_size_inches()) == (4.0, 1.5)
    with pytest.raises(ValueError, match="width"):
        diagrams.canvas(0, 3)


def test_grid_cells_draws_one_square_and_one_number_per_entry_and_highlights_the_mask():
    fig, ax = diagrams.canvas(4, 4)
    mask = np.zeros((4, 4), bool)
    mask[:3, :3] = True
    diagrams.grid_cells(ax, np.arange(16).reshape(4, 4), highlight=mask)
    assert len(ax.patches) == 16
    assert [t.get_text() for t in ax.texts] == [str(i) for i in range(16)]
    yellow = matplotlib.colors.to_rgba(diagrams.DIAGRAM_COLORS["highlight"])
    lit = [p.get_facecolor() == yellow for p in ax.patches]
    assert lit == list(mask.ravel())
    # Row 0 is drawn at the top.
    assert ax.patches[0].get_xy() == (0.0, 3.0)
    with pytest.raises(ValueError, match="highlight"):
        diagrams.grid_cells(ax, np.zeros((2, 2)), highlight=np.zeros((3, 3)))


def test_arrow_shrinks_to_stop_at_a_rim_and_nodes_carry_their_text():
    fig, ax = diagrams.canvas(4, 2)
    diagrams.node(ax, (1, 1), radius=0.3, text="Σ")
    a = diagrams.arrow(ax, (0, 1), (4, 1), shrink=0.5, text="w")
    start, end = a._posA_posB
    assert start == pytest.approx((0.5, 1)) and end == pytest.approx((3.5, 1))
    assert {t.get_text() for t in ax.texts} == {"Σ", "w"}

