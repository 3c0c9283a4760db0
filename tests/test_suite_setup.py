"""The test suite's own configuration: reproducible under CI."""
import os

from hypothesis import settings


def test_hypothesis_runs_derandomized_under_ci():
    if os.environ.get("CI", "") == "true" and not os.environ.get("HYPOTHESIS_PROFILE"):
        assert settings.default.derandomize is True
    assert settings.get_profile("ci").derandomize is True
