"""The installed package: its size on disk, and how soon it shows video after a cold start.

Runs the packaged binary (a .deb extracted into a temporary folder, or a bundle folder)
with nothing but the package on hand: `--version` for the start-up alone, then
`--demo --self-check`, reading the time of each site's first painted frame from the
moment the process was spawned. "Cold" drops the kernel's page cache first (root only:
`echo 3 > /proc/sys/vm/drop_caches`), so every file of the package comes from the disk
again, as after a reboot. The demo footage must be cached already (a first run encodes
it, which is not start-up).

    uv run python benchmarks/package.py [--deb dist/vigil_0.1.0_amd64.deb] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import machine, print_result
from viewer import __version__

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--deb", type=Path, default=ROOT / "dist" / f"vigil_{__version__}_amd64.deb"
    )
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vigil-package-") as folder:
        root = Path(folder)
        subprocess.run(
            ["dpkg-deb", "--extract", str(args.deb), str(root / "installed")], check=True
        )
        installed = root / "installed"
        binary = installed / "opt" / "vigil" / "vigil"
        size = sum(p.lstat().st_size for p in installed.rglob("*") if not p.is_dir())
        du = subprocess.run(
            ["du", "-sk", str(installed)], capture_output=True, text=True, check=True
        )
        env = {
            "PATH": str(root),
            "HOME": os.environ["HOME"],  # the cached demo footage
            "QT_QPA_PLATFORM": "offscreen",
            "VIGIL_CONFIG_DIR": str(root / "config"),
            "VIGIL_LOG_DIR": str(root / "logs"),
        }
        cold = can_drop_caches()
        version_s, first_s, all_s = [], [], []
        for _ in range(args.rounds):
            drop_caches(cold)
            start = time.perf_counter()
            subprocess.run([str(binary), "--version"], env=env, capture_output=True, check=True)
            version_s.append(time.perf_counter() - start)
            drop_caches(cold)
            first, everything = first_frames(binary, env)
            first_s.append(first)
            all_s.append(everything)
    print_result(
        {
            "benchmark": "package",
            "machine": machine(),
            "deb_mb": round(args.deb.stat().st_size / 1e6, 1),
            "installed_mb": round(size / 1e6, 1),
            "installed_du_mib": round(int(du.stdout.split()[0]) / 1024, 1),
            "cold": cold,
            "version_s": [round(v, 2) for v in version_s],
            "first_frame_s": [round(v, 2) for v in first_s],
            "every_site_first_frame_s": [round(v, 2) for v in all_s],
            "first_frame_median_s": round(statistics.median(first_s), 2),
            "every_site_median_s": round(statistics.median(all_s), 2),
        }
    )


def first_frames(binary: Path, env: dict[str, str]) -> tuple[float, float]:
    """Seconds from spawning the process to the first frame painted, and to the last of
    the sites' first frames."""
    start = time.perf_counter()
    times = []
    passed = 0
    with subprocess.Popen(
        [str(binary), "--demo", "--self-check", "--seconds", "60"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            if "first frame after" in line:
                times.append(time.perf_counter() - start)
            passed += ": ok, " in line
        if process.wait() != 0 or len(times) != passed:
            raise SystemExit(f"the self-check failed ({len(times)} sites showed a frame)")
    return times[0], times[-1]


def can_drop_caches() -> bool:
    return os.access("/proc/sys/vm/drop_caches", os.W_OK)


def drop_caches(cold: bool) -> None:
    if cold:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")


if __name__ == "__main__":
    main()
