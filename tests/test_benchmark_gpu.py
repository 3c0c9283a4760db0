"""benchmarks/gpu.py on the CPU: the chapter timer, the training-loop twins and the report.

The GPU numbers themselves need a GPU; what can be checked anywhere is that the three runners
train the same network through the same batches (their weights agree), that a failing chapter is
reported rather than ending the run, and that the committed notebooks are left untouched.
"""
import argparse
import importlib.util
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "gpu.py"


@pytest.fixture(scope="module")
def gpu():
    spec = importlib.util.spec_from_file_location("benchmark_gpu", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module   # its dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def test_parse_loop(gpu):
    spec = gpu.parse_loop("2048,512:1024")
    assert spec.widths == (2048, 512) and spec.batch == 1024
    assert spec.label == "MLP 784-2048-512-10, batch 1024"
    for bad in ("256", "256:", "a:128", "256:0", "0,8:16", "256:12.5"):
        with pytest.raises(argparse.ArgumentTypeError, match="WIDTHS:BATCH"):
            gpu.parse_loop(bad)


def test_three_runners_train_the_same_network(gpu):
    rng = np.random.default_rng(0)
    x = rng.random((300, 784), dtype=np.float32)
    y = np.argmax(x[:, :10], axis=1)   # a learnable labelling
    start_loss = gpu.nn.CrossEntropyLoss().forward(gpu.build_mlp((32, 16)).forward(x), y)
    result = gpu.time_training_loop(gpu.LoopSpec((32, 16), 64), x, y, epochs=2, device=torch.device("cpu"))
    assert list(result.seconds) == ["numpy", "torch cpu"]
    assert all(s > 0 for s in result.seconds.values())
    assert result.weight_error["torch cpu"] < 1e-5
    assert result.losses["numpy"] == pytest.approx(result.losses["torch cpu"], rel=1e-5)
    assert result.losses["numpy"] < start_loss   # it trained: not two untouched copies agreeing
    lines = gpu.loop_lines(result)
    assert len(lines) == 2 and "numpy/torch" in lines[1]
    table = gpu.loops_markdown([result], epochs=2, images=300, threads=1)
    assert "| MLP 784-32-16-10, batch 64 | torch cpu |" in table


def _notebook(path, source):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source)]
    nbformat.write(nb, path)
    return path


def test_chapter_timer_reports_failures_and_leaves_the_notebooks_alone(gpu, tmp_path):
    good = _notebook(tmp_path / "good.ipynb", "import os\nprint(os.environ['DLBOOK_DEVICE'])")
    bad = _notebook(tmp_path / "bad.ipynb", "raise RuntimeError('chapter broke')")
    before = {p: p.read_bytes() for p in (good, bad)}
    results = gpu.time_chapters([good, bad], ["cpu"])
    assert isinstance(results["good"]["cpu"], float) and results["good"]["cpu"] > 0
    assert results["bad"]["cpu"].startswith("FAILED") and "chapter broke" in results["bad"]["cpu"]
    assert {p: p.read_bytes() for p in (good, bad)} == before
    table = gpu.chapters_markdown(results, ["cpu"])
    assert table.splitlines()[0] == "| chapter | cpu (s) |"
    assert "| bad | FAILED" in table


def test_chapters_markdown_gives_the_ratio_for_two_devices(gpu):
    table = gpu.chapters_markdown({"03_backprop": {"cpu": 60.0, "cuda": 20.0}}, ["cpu", "cuda"])
    assert table.splitlines() == ["| chapter | cpu (s) | cuda (s) | cpu / gpu |", "|---|---|---|---|",
                                  "| 03_backprop | 60.0 | 20.0 | 3.00x |"]


def test_command_line_end_to_end(tmp_path):
    out = tmp_path / "gpu.md"
    run = subprocess.run([sys.executable, str(SCRIPT), "--device", "cpu", "--no-chapters", "--loops", "16:100",
                          "--epochs", "2", "--images", "500", "--markdown", str(out)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "MLP 784-16-10, batch 100" in run.stdout and "weights agree with numpy" in run.stdout
    text = out.read_text()
    assert "device cpu" in text and "| MLP 784-16-10, batch 100 | numpy |" in text


@pytest.mark.parametrize("argv, message", [
    (["--epochs", "0"], "--epochs"), (["--images", "20000"], "--images"),
    (["--loops", "abc"], "WIDTHS:BATCH"), (["--chapters", "99_nothing", "--loops"], "99_nothing"),
])
def test_bad_arguments_are_named(argv, message):
    run = subprocess.run([sys.executable, str(SCRIPT), "--device", "cpu", *argv],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode != 0 and message in run.stderr
