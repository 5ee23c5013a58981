"""Command runs the tests share: each runs once per session, in whichever process asks first.

With pytest-xdist every worker is its own process, so a session fixture would run once per
worker. Here the first process to ask runs the command under a file lock in the session's
shared temporary folder and records its output; the others wait and read the record. For a
whole-suite run the controller starts the runs in a background process at once
(``python -m tests.shared_runs FOLDER``), so no worker sits idle waiting for one.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_CONFIG = ROOT / "data" / "sample_county.toml"

#: name → (command-line arguments, whether the bundled sample is found): every shared run.
RUNS: dict[str, tuple[list[str], bool]] = {
    # the demo as an installed copy without data/ runs it: the sample is generated
    "demo": (["demo"], False),
    "whatif": (
        [
            *("whatif", str(SAMPLE_CONFIG), "--mode", "drive"),
            *("--upgrade", "239901104001=rural_regional_centre"),
        ],
        True,
    ),
    "regional": (
        [
            *("site", str(SAMPLE_CONFIG), "--preset", "regional-centre"),
            *("--min-population", "30000", "--max-population", "70000"),
        ],
        True,
    ),
    "ambulance": (["site", str(SAMPLE_CONFIG), "--preset", "ambulance"], True),
}
#: The plans the shared report takes (a what-if folder is a plan too).
PLANS = ("regional", "ambulance", "whatif")
#: The report of those plans, drive, on both page sizes (its folder is ``report/report``).
REPORT = ["report", str(SAMPLE_CONFIG), "--mode", "drive", "--page", "A4", "--page", "A3"]


@dataclasses.dataclass(frozen=True)
class RunRecord:
    """What a test reads of a finished command: exit code and its output streams."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_once(shared: Path, name: str) -> tuple[Path, RunRecord]:
    """Run the shared command ``name`` (a key of :data:`RUNS`, or ``"report"``) into
    ``shared/name`` unless a process already did."""
    import pytest
    from click.testing import CliRunner

    from geohealth.cli import main

    if name == "report":
        plans = [run_once(shared, plan)[0] for plan in PLANS]
        args, bundled_sample = [*REPORT, *(f"--plan={plan}" for plan in plans)], True
    else:
        args, bundled_sample = RUNS[name]
    folder = shared / name
    record = folder.with_suffix(".json")
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.is_file():
            with pytest.MonkeyPatch.context() as patch:
                if not bundled_sample:
                    patch.setattr("geohealth.cli._find_sample_config", lambda: None)
                result = CliRunner().invoke(main, ["-q", *args, "--out", str(folder)])
            fields = {"exit_code": result.exit_code, "stdout": result.stdout}
            record.write_text(json.dumps({**fields, "stderr": result.stderr}), encoding="utf-8")
        run = RunRecord(**json.loads(record.read_text(encoding="utf-8")))
    return folder, run


if __name__ == "__main__":
    for run_name in (*RUNS, "report"):
        run_once(Path(sys.argv[1]), run_name)
