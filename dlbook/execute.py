"""Re-execute the book's notebooks in place, deterministically: ``python -m dlbook.execute [notebooks...]``.

With no arguments every notebook in ``book/`` runs. Each one gets the current setup cell
(:mod:`dlbook.colab`), then runs top to bottom in a fresh kernel of this Python, with its folder as
the working directory and a fixed environment: one thread for BLAS and torch, a fixed hash seed,
``DLBOOK_WIDGETS=static`` (sliders store their frames, no live widget), and no widget state is
written into the notebook, so the website never loads widget JavaScript from a CDN. Execution
timestamps are not recorded, so re-running an unchanged chapter gives an unchanged file.
Prints the wall-clock and kernel CPU seconds each notebook took (the CPU seconds of a one-thread
kernel estimate its time on an idle machine); exits non-zero if any failed.

``--seed N`` runs with ``DLBOOK_SEED=N`` (see :func:`dlbook.device.base_seed`) and ``--output-dir``
writes the executed copies there instead of in place: that is how a chapter's checked claims are
tried with other seeds without touching the committed outputs.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from dlbook.colab import ensure_setup_cell

BOOK_DIR = Path(__file__).resolve().parent.parent / "book"
# Kernel CPU seconds of each chapter's last in-place execution with the default seed, for the
# teaching guide (book/teaching.ipynb) and for authors keeping within the 90-second budget.
TIMINGS = BOOK_DIR / "timings.json"

# The environment every notebook runs in: what makes two runs give the same outputs.
DETERMINISTIC_ENV = {
    "PYTHONHASHSEED": "0",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "DLBOOK_WIDGETS": "static",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
}


def default_notebooks() -> list[Path]:
    return sorted(p for p in BOOK_DIR.glob("*.ipynb"))


def kernel_manager(python=None):
    """A kernel manager for ``python`` (default: this one), whatever "python3" names on PATH."""
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import KernelManager

    spec = KernelSpec(argv=[str(python or sys.executable), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                      display_name="Python 3 (ipykernel)", language="python")

    class OnePython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            return spec

    return KernelManager(kernel_name="python3", kernel_spec_manager=OnePython())


def normalise_metadata(nb) -> None:
    """Standard kernel metadata; no stored widget state (it would make the site load a CDN manager)."""
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)


def _kernel_cpu_seconds(km) -> float | None:
    """CPU seconds (user + system) the kernel process has used so far, or None if unknown."""
    try:
        import psutil

        pid = km.provisioner.process.pid
        times = psutil.Process(pid).cpu_times()
        return times.user + times.system + times.children_user + times.children_system
    except Exception:  # no psutil, a remote provisioner, a kernel already gone
        return None


LAST_CPU_SECONDS: dict = {}  # path -> kernel CPU seconds of its last execution (None if unknown)


def execute_notebook(path: Path, timeout: int = 600, output: Path | None = None,
                     extra_env: dict | None = None) -> float:
    """Run one notebook and save it with its outputs; return the seconds it took.

    It runs in its own folder and is saved in place, or to ``output`` (the benchmarks time the
    chapters without touching the committed files). ``extra_env`` is added to the deterministic
    environment, e.g. ``{"DLBOOK_DEVICE": "cuda"}``. Raises on a cell error.
    """
    import nbformat
    from nbclient import NotebookClient

    path = Path(path).resolve()
    nb = nbformat.read(path, as_version=4)
    ensure_setup_cell(nb)
    normalise_metadata(nb)
    env = {**os.environ, **DETERMINISTIC_ENV, **(extra_env or {})}
    km = kernel_manager()
    client = NotebookClient(nb, km=km, timeout=timeout, allow_errors=False,
                            record_timing=False, store_widget_state=False,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    try:
        client.execute(cwd=str(path.parent), env=env)
    finally:
        seconds = time.perf_counter() - start
        LAST_CPU_SECONDS[path] = _kernel_cpu_seconds(km) if km.has_kernel else None
        if km.has_kernel:  # nbclient leaves a kernel manager it was given running
            km.shutdown_kernel(now=False)
    normalise_metadata(nb)
    nbformat.validate(nb)
    nbformat.write(nb, output or path)
    return seconds


def save_timing(path: Path, cpu_seconds: float, wall_seconds: float,
                timings: Path | None = None) -> None:
    """Store a notebook's kernel CPU and wall seconds in ``book/timings.json`` (by file stem)."""
    import json

    timings = TIMINGS if timings is None else timings
    data = json.loads(timings.read_text()) if timings.is_file() else {}
    data[Path(path).stem] = {"kernel_cpu_s": round(cpu_seconds, 1),
                             "wall_s": round(wall_seconds, 1)}
    timings.write_text(json.dumps(dict(sorted(data.items())), indent=1) + "\n")


# Notebooks whose outputs are computed from the other notebooks of the book (the teaching guide
# counts their slides, exercises and sliders): re-run after any of them changes in place.
DEPENDENTS = ("teaching.ipynb",)


def in_book(path) -> bool:
    """True for a notebook of the book itself (not a copy elsewhere)."""
    return Path(path).resolve().parent == BOOK_DIR


def with_dependents(notebooks, in_place: bool = True) -> list:
    """``notebooks``, followed by the book's dependent notebooks when a book chapter is among
    them and the run writes in place, so that the teaching guide never goes stale."""
    notebooks = [Path(p) for p in notebooks]
    resolved = {p.resolve() for p in notebooks}
    touches_book = any(in_book(p) and p.name not in DEPENDENTS for p in notebooks)
    if not (in_place and touches_book):
        return notebooks
    extra = [BOOK_DIR / name for name in DEPENDENTS
             if (BOOK_DIR / name).is_file() and (BOOK_DIR / name).resolve() not in resolved]
    return notebooks + extra


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dlbook.execute", description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to run (default: book/*.ipynb)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell (default 600)")
    parser.add_argument("--seed", type=int, default=None,
                        help="run with DLBOOK_SEED=SEED (claims must hold for every seed)")
    parser.add_argument("--output-dir", type=Path, default=None,
                        help="write the executed notebooks here instead of in place")
    args = parser.parse_args(argv)
    if args.seed is not None and args.seed < 0:
        parser.error(f"--seed: expected a non-negative integer, got {args.seed}")
    extra_env = {} if args.seed is None else {"DLBOOK_SEED": str(args.seed)}
    if args.output_dir is not None:
        args.output_dir.mkdir(parents=True, exist_ok=True)
    notebooks = args.notebooks or default_notebooks()
    missing = [str(p) for p in notebooks if not Path(p).is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    in_place = args.output_dir is None and args.seed is None
    notebooks = with_dependents(notebooks, in_place=in_place)
    failed = []
    total = 0.0
    for path in notebooks:
        print(f"{str(path):<40}", end=" ", flush=True)
        try:
            output = None if args.output_dir is None else args.output_dir / Path(path).name
            seconds = execute_notebook(path, timeout=args.timeout, output=output,
                                       extra_env=extra_env)
        except Exception as err:  # report every failing notebook, then fail
            failed.append(str(path))
            print(f"FAILED: {type(err).__name__}: {str(err).strip().splitlines()[-1] if str(err).strip() else ''}")
            continue
        total += seconds
        cpu = LAST_CPU_SECONDS.get(Path(path).resolve())
        print(f"{seconds:7.1f} s" + ("" if cpu is None else f"   (kernel CPU {cpu:6.1f} s)"))
        if in_place and cpu is not None and in_book(path):
            save_timing(Path(path), cpu, seconds)
    print(f"{'total':<40} {total:7.1f} s")
    if in_place and any(in_book(p) for p in notebooks):
        # the setup cell may have been refreshed: keep the Chinese Colab notebooks in step
        from dlbook.i18n.edition import write_colab_notebooks
        for written in write_colab_notebooks():
            print(f"updated {written}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
