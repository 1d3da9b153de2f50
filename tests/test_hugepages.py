"""The fork server's memory is collapsed into huge pages so that forking it is cheap."""
from __future__ import annotations

import platform
import re
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from autograder.sandbox.hugepages import _writable_private_ranges

MAPS = """\
55d0c0000000-55d0c0a00000 rw-p 00000000 00:00 0                          [heap]
7f0000100000-7f0000900000 rw-p 00000000 00:00 0
7f0000a00000-7f0000c00000 rw-s 00000000 00:05 12                         /dev/shm/x
7f0001000000-7f0001400000 rw-p 00000000 08:01 77                         /usr/lib/libfoo.so
7f0002000000-7f0002100000 rw-p 00000000 00:00 0
7f0003000000-7f0003400000 r--p 00000000 00:00 0
"""


def test_only_private_anonymous_writable_memory_is_collapsed_and_only_whole_huge_pages() -> None:
    assert _writable_private_ranges(MAPS) == [
        (0x55D0C0000000, 0x55D0C0A00000),   # the heap, already aligned
        (0x7F0000200000, 0x7F0000800000),   # anonymous: trimmed to whole 2 MiB pages
    ]                                       # shared, file-backed, too small and read-only ranges are left alone


def _anon_huge_kb(code: str) -> int:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return int(out.strip())


def _kernel_collapses() -> bool:
    thp = Path("/sys/kernel/mm/transparent_hugepage/enabled")
    release = tuple(int(x) for x in re.findall(r"\d+", platform.release())[:2])
    return thp.exists() and "[never]" not in thp.read_text() and release >= (6, 1)  # MADV_COLLAPSE


@pytest.mark.skipif(not _kernel_collapses(), reason="no MADV_COLLAPSE (Linux 6.1+ with transparent huge pages)")
def test_collapse_backs_a_loaded_process_with_huge_pages() -> None:
    measure = ("import re; print(sum(int(m) for m in re.findall(r'AnonHugePages:\\s+(\\d+)', "
               "open('/proc/self/smaps_rollup').read())))")
    setup = "blob = [bytearray(b'x' * 4096) for _ in range(16384)]\n"  # 64 MiB of small objects, like torch's
    before = _anon_huge_kb(setup + measure)
    after = _anon_huge_kb(setup + "from autograder.sandbox import hugepages\nassert hugepages.collapse() > 0\n"
                          + measure)
    assert after > before + 32 * 1024


def _server_huge_kb(batch: bool) -> int:
    from autograder.config import Limits
    from autograder.sandbox.plan import Plan, PlanCell
    from autograder.sandbox.pool import ServerPool
    from autograder.sandbox.runner import run_plan

    with ServerPool(("torch",), 1, batch=batch) as pool:
        pool.run(lambda conn: run_plan(Plan([PlanCell("x = 1", "a.py", 1)]), Limits(), conn))
        servers = [p for p in psutil.Process(pool.pid).children(recursive=True) + [psutil.Process(pool.pid)]
                   if "autograder.sandbox.forkserver" in " ".join(p.cmdline()) and p.name().startswith("python")]
        rollup = Path(f"/proc/{servers[0].pid}/smaps_rollup").read_text()
    return int(re.search(r"AnonHugePages:\s+(\d+)", rollup).group(1))


@pytest.mark.skipif(not _kernel_collapses(), reason="no MADV_COLLAPSE (Linux 6.1+ with transparent huge pages)")
def test_a_batch_fork_server_holds_torch_in_huge_pages_and_a_single_grading_does_not_spend_the_time() -> None:
    assert _server_huge_kb(batch=True) > 64 * 1024
    assert _server_huge_kb(batch=False) < 16 * 1024
