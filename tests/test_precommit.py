"""The hooks of .pre-commit-hooks.yaml, run by `pre-commit try-repo` on a sample rulesets
repository: clean, every hook passes; with a misformatted file and a broken one, ind-fmt
rewrites the first and ind-check reports the second.

pre-commit installs this repository (as committed, plus tracked changes) into an environment
of its own, which takes a minute the first time."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("pre_commit", reason="pip install -e '.[dev]' (pre-commit runs the hooks)")


def test_the_manifest_declares_the_three_hooks() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [h["id"] for h in hooks] == ["ind-check", "ind-fmt", "ind-test"]
    assert all(h["language"] == "python" and h["entry"].startswith("ind ") for h in hooks)


def git(folder: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.org", "-c", "user.name=t", *args], cwd=folder, check=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git: apt-get install git")
def test_try_repo_runs_the_hooks_on_a_sample_repository(tmp_path: Path) -> None:
    if subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, check=False).returncode:
        pytest.skip("pre-commit try-repo needs this project as a git repository (a clone, not an sdist)")
    sample = tmp_path / "sample"
    shutil.copytree(ROOT / "rulesets", sample / "rulesets")
    git(sample, "init", "-q")
    git(sample, "add", "-A")
    git(sample, "commit", "-qm", "sample")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}

    def try_repo() -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "--all-files"]
        return subprocess.run(command, cwd=sample, env=env, capture_output=True, text=True, check=False)

    clean = try_repo()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    for name in ("ind check", "ind fmt", "ind test"):
        assert any(line.startswith(name) and line.endswith("Passed") for line in clean.stdout.splitlines()), name

    veteran = sample / "rulesets" / "jiangsu" / "departments" / "veteran.ind"
    messy = veteran.read_text(encoding="utf-8").replace("rescale to 100", "rescale   to   100")
    veteran.write_text(messy, encoding="utf-8")
    (sample / "rulesets" / "broken.ind").write_text("ruleset broken\nlet a = nowhere + 1\n", encoding="utf-8")
    git(sample, "add", "-A")
    dirty = try_repo()
    assert dirty.returncode == 1
    lines = dirty.stdout.splitlines()
    assert any(line.startswith("ind check") and line.endswith("Failed") for line in lines)
    assert any(line.startswith("ind fmt") and line.endswith("Failed") for line in lines)
    assert "- files were modified by this hook" in dirty.stdout
    assert "rescale to 100" in veteran.read_text(encoding="utf-8")  # ind fmt put it back
    assert "rulesets/broken.ind:1:1: error[E214]" in dirty.stdout
