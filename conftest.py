"""Root pytest configuration: nbval's kernels run in the same fixed environment as
``python -m dlbook.execute`` (one BLAS/torch thread, fixed hash seed, static sliders), so a
notebook's re-run outputs are comparable with the stored ones."""
import os

from dlbook.execute import DETERMINISTIC_ENV

os.environ.update(DETERMINISTIC_ENV)
