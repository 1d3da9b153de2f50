"""The student's process: limits, timeouts and crashes cost one cell, and nothing survives the run."""
from __future__ import annotations

import os
import time

import psutil
import pytest

from autograder.config import Limits
from autograder.sandbox.launcher import ForkServer
from autograder.sandbox.plan import Capture, Plan, PlanCell
from autograder.sandbox.protocol import CellStatus
from autograder.sandbox.runner import run_plan

LIMITS = Limits(timeout=30, cell_timeout=2, memory_mb=1024, output_kb=4, file_size_mb=1)


@pytest.fixture(scope="module")
def server():
    with ForkServer([]) as s:
        yield s


@pytest.fixture
def run(server):
    def _run(*sources: str, limits: Limits = LIMITS):
        """Run cells; after each cell i capture variable `v{i}` under key str(i)."""
        cells = [PlanCell(src, "sub.py", 1 + 100 * i) for i, src in enumerate(sources)]
        captures = {i: [Capture(str(i), f"v{i}")] for i in range(len(sources))}
        return run_plan(Plan(cells, captures=captures), limits, server.connections[0])

    return _run


def value(outcome, i):
    return outcome.captures.get(str(i), {}).get("data")


def test_values_cross_as_plain_data(run):
    out = run("v0 = [[1, 2.5], [3, 4]]", "import numpy as np\nv1 = np.arange(3)", "v2 = 'text'", "v3 = None")
    assert out.captures["0"] == {"type": "array", "dtype": "list", "shape": [2, 2], "data": [1.0, 2.5, 3.0, 4.0]}
    assert value(out, 1) == [0.0, 1.0, 2.0]
    assert out.captures["2"]["type"] == "object" and out.captures["3"]["type"] == "none"
    assert out.failure is None


def test_a_hanging_cell_costs_only_itself(run):
    out = run("v0 = 1", "while True:\n    pass", "v2 = v0 + 1")
    assert out.cells[1].status == CellStatus.TIMEOUT and out.cells[1].error["line"] == 101
    assert value(out, 0) == [1.0] and value(out, 2) == [2.0]
    assert out.captures["1"] == {"type": "missing"}


def test_exiting_the_process_costs_only_the_rest_of_that_cell(run):
    out = run("v0 = 1", "import os\nv1 = 5\nos._exit(0)\nv1 = 6", "import sys\nv2 = 2\nsys.exit(0)", "v3 = 3")
    assert out.cells[1].status == CellStatus.CRASHED and out.cells[1].error["line"] == 103
    assert value(out, 1) == [5.0]  # as the cell left it before the line that ended the process
    assert out.cells[2].status == CellStatus.RAISED and value(out, 2) == [2.0]
    assert value(out, 3) == [3.0]


@pytest.mark.parametrize("runaway, line", [
    ("import time\ntime.sleep(3600)", 104),
    ("import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True:\n    pass", 105),
    ("import ctypes\nctypes.string_at(0)", 104),
    ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", 104),
], ids=["sleep", "spin-ignoring-sigterm", "segfault", "sigkill"])
def test_an_answer_bound_before_a_runaway_line_is_kept(run, runaway, line):
    out = run("v0 = 1", f"v1 = 41\nv1 += 1\n{runaway}\nv1 = 0", "v2 = v0 + v1")
    assert out.cells[1].status in (CellStatus.TIMEOUT, CellStatus.CRASHED)
    assert out.cells[1].error["line"] == line
    assert value(out, 1) == [42.0] and value(out, 2) == [43.0] and out.failure is None


def _run_plan(server, sources: list[str], read: dict[int, str]):
    """Run cells, capturing after cell i the variable read[i] (cells not in `read` are set-up code)."""
    cells = [PlanCell(src, "sub.py", 1 + 100 * i) for i, src in enumerate(sources)]
    captures = {i: [Capture(name, name)] for i, name in read.items()}
    return run_plan(Plan(cells, captures=captures), LIMITS, server.connections[0])


def test_in_set_up_code_a_raising_statement_costs_only_itself(server):
    out = _run_plan(server, ["a = 1\nfrom google.colab import drive\ndrive.mount('/content/drive')\nb = a + 1",
                             "c = b * 10"], {1: "c"})
    assert out.captures["c"]["data"] == [20.0]
    problems = out.cells[0].problems
    assert [(p.error["line"], p.module) for p in problems] == [(2, "google"), (3, None)]
    assert problems[1].error["type"] == "NameError" and problems[1].status == CellStatus.RAISED
    assert out.cells[0].status == CellStatus.OK and not out.cells[0].clean


def test_in_set_up_code_a_hanging_statement_costs_only_itself(server):
    out = _run_plan(server, ["a = 1\nwhile True:\n    pass\nb = a + 1", "c = b * 10"], {1: "c"})
    assert out.captures["c"]["data"] == [20.0] and out.failure is None
    (problem,) = out.cells[0].problems
    assert problem.status == CellStatus.TIMEOUT and problem.error["line"] == 2


def test_cells_run_in_main_so_their_functions_pickle(server):
    out = _run_plan(server, ["import multiprocessing as mp\ndef square(x):\n    return x * x\n"
                             "with mp.Pool(2) as pool:\n    squares = pool.map(square, [1, 2, 3])\n"
                             "import pickle\nname = [pickle.loads(pickle.dumps(square)) is square]"],
                    {0: "squares"})
    assert out.cells[0].clean, out.cells[0]
    assert out.captures["squares"]["data"] == [1.0, 4.0, 9.0]


def test_temporary_files_work_where_the_environment_says(server):
    out = _run_plan(server, ["import os, tempfile\nwith tempfile.TemporaryDirectory() as d:\n"
                             "    inside = [d.startswith(os.environ['TMPDIR'])]\n"
                             "open('/tmp/mine.txt', 'w').write('x')\nopen(os.path.expanduser('~/.rc'), 'w').write('x')\n"
                             "import multiprocessing.shared_memory as shm\nm = shm.SharedMemory(create=True, size=4096)\n"
                             "m.close(); m.unlink()"], {0: "inside"})
    assert out.cells[0].clean, out.cells[0]
    assert out.captures["inside"]["data"] == [1.0]


def test_an_error_keeps_the_value_the_cell_left(run):
    out = run("v0 = 7\nraise ValueError('later line')")
    assert value(out, 0) == [7.0]
    assert out.cells[0].error["type"] == "ValueError" and out.cells[0].error["line"] == 2


def test_syntax_error_cell_is_not_captured(run):
    out = run("v0 = 1", "v0 = 2\nv1 =")
    assert out.cells[1].error["type"] == "SyntaxError" and out.cells[1].error["line"] == 102
    assert "1" not in out.captures


def test_statements_before_one_the_compiler_rejects_still_run(run):
    out = run("v0 = 1\nv0 = 2\nreturn v0\nv0 = 3")  # as in Jupyter: the parser accepts it, the compiler not
    assert out.cells[0].error["type"] == "SyntaxError" and out.cells[0].error["line"] == 3
    assert value(out, 0) == [2.0]


def test_student_code_is_compiled_as_a_notebook_would_not_with_the_graders_future_imports(run):
    out = run("def f(x: int) -> float:\n    return x\nv0 = [f.__annotations__['x'] is int]")
    assert value(out, 0) == [1.0]


def test_missing_import_is_skipped_and_the_cell_goes_on(run):
    out = run("import d2l\nimport math\nv0 = math.pi")
    assert out.cells[0].status == CellStatus.OK and value(out, 0)[0] == pytest.approx(3.14159, abs=1e-4)
    assert [p.module for p in out.cells[0].problems] == ["d2l"]


def test_memory_grab_is_an_error_in_that_cell(run):
    out = run("v0 = bytearray(4 * 1024**3)", "v1 = 1")
    assert out.cells[0].status in ("error", "crashed")
    assert value(out, 1) == [1.0]


def test_deep_recursion_is_an_error_in_that_cell(run):
    out = run("def f(n):\n    return f(n + 1)\nf(0)", "v1 = 1")
    assert out.cells[0].error["type"] == "RecursionError" and value(out, 1) == [1.0]


def test_huge_output_is_capped(run):
    out = run("for i in range(10**5):\n    print('x' * 100)\nv0 = 1")
    assert len(out.output) < 5000 and "more bytes of output not shown" in out.output
    assert value(out, 0) == [1.0]


def test_file_size_limit_is_an_error(run):
    out = run("open('big', 'wb').write(b'0' * 5 * 1024**2)", "v1 = 1")
    assert out.cells[0].error["type"] in ("OSError", "IOError") and value(out, 1) == [1.0]


def _processes(run) -> set[int]:
    """Our process tree once the server is up (a first run waits for it)."""
    run("v0 = 0")
    return {p.pid for p in psutil.Process().children(recursive=True)}


def test_no_process_survives_the_run(run, server):
    before = _processes(run)
    out = run("import subprocess\np = subprocess.Popen(['sleep', '300'], start_new_session=True)\n"
              "import os\nif os.fork() == 0:\n    os.setsid()\n    import time\n    time.sleep(300)\n"
              # an orphan whose own child is orphaned only once the first is killed
              "if os.fork() == 0:\n    if os.fork() == 0:\n        os.setsid()\n        os.fork()\n"
              "        import time\n        time.sleep(300)\n    os._exit(0)\nv0 = 1")
    assert value(out, 0) == [1.0]
    time.sleep(0.2)
    assert _processes(run) == before


def test_the_student_sees_none_of_the_graders_environment(run, monkeypatch):
    monkeypatch.setenv("GRADER_SECRET", "s3cret")
    out = run("import os\nv0 = [len(os.environ.get('GRADER_SECRET', ''))]\nprint(sorted(os.environ))")
    assert value(out, 0) == [0.0]
    assert "GRADER_SECRET" not in out.output


def test_working_folder_is_private_and_removed(run):
    out = run("import os\nopen('results.json', 'w').write('{}')\nprint(os.getcwd())\nv0 = 1")
    scratch = out.output.strip()
    assert scratch != os.getcwd() and not os.path.exists(scratch)


def test_whole_submission_timeout_stops_everything(run, server):
    before = _processes(run)
    out = run("import time\ntime.sleep(2.5)", "import time\ntime.sleep(2.5)", "v2 = 1",
              limits=Limits(timeout=3, cell_timeout=10))
    assert out.failure is not None and out.failure.status == CellStatus.TIMEOUT
    assert "out of time" in out.failure.message
    time.sleep(0.2)
    assert _processes(run) == before


def test_bwrap_keeps_a_python_installed_under_tmp_visible(monkeypatch):
    from autograder.sandbox import bwrap

    monkeypatch.setattr(bwrap, "python_paths", lambda: ["/tmp/clone/.venv", "/opt/python"])
    args = bwrap.command("/tmp/autograder-x", as_root=True)
    tmpfs = args.index("--tmpfs")
    binds = [i for i, a in enumerate(args) if a == "--ro-bind" and args[i + 1] == "/tmp/clone/.venv"]
    assert binds and tmpfs < binds[0] < args.index("/tmp/autograder-x")


def _private_namespaces() -> bool:
    """True where each run can get its own mount and IPC namespace (root here)."""
    return os.geteuid() == 0


SHMGET = ("import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
          "def shm(key, size, flags):\n    return [libc.shmget(key, size, flags), ctypes.get_errno()]\n")


@pytest.mark.skipif(not _private_namespaces(), reason="needs root for per-run IPC namespaces")
def test_system_v_shared_memory_is_private_to_a_run_and_bounded(server):
    made = _run_plan(server, [SHMGET + "v = shm(4242, 1 << 20, 0o1600)\nhuge = shm(4243, 8 << 30, 0o1600)"],
                     {0: "v"})
    assert made.captures["v"]["data"][0] >= 0  # the segment exists, and is left behind on purpose
    later = _run_plan(server, [SHMGET + "v = shm(4242, 0, 0)"], {0: "v"})
    assert later.captures["v"]["data"] == [-1.0, 2.0]  # ENOENT: the next run cannot see it
    big = _run_plan(server, [SHMGET + "v = shm(4243, 8 << 30, 0o1600)"], {0: "v"})
    assert big.captures["v"]["data"][0] == -1  # more than the run's disk_mb: refused


@pytest.mark.skipif(os.geteuid() != 0, reason="a uid per slot needs root")
def test_a_deep_chain_of_detached_processes_ends_with_its_run(server):
    uid = server.connections[0].run_as.uid
    out = _run_plan(server, ["import os, time\ndef chain(n):\n    if n and os.fork() == 0:\n        os.setsid()\n"
                             "        chain(n - 1)\n        time.sleep(300)\n        os._exit(0)\n"
                             "chain(60)\ntime.sleep(0.5)\nv = 1"], {0: "v"})
    assert out.captures["v"]["data"] == [1.0]
    time.sleep(0.3)
    assert [p.pid for p in psutil.process_iter(["uids"]) if p.info["uids"] and p.info["uids"].real == uid] == []


def test_printing_forever_still_times_out(run):
    out = run("v0 = 1\nwhile True:\n    print('x' * 1000)", "v1 = 2")
    assert out.cells[0].status == CellStatus.TIMEOUT and value(out, 0) == [1.0] and value(out, 1) == [2.0]


def _hold_the_gil(seconds: float) -> None:
    """One C call that keeps the interpreter lock for about `seconds` (a backtracking regex)."""
    import re

    pattern = re.compile(r"(x+x+)+y")
    n, took = 16, 0.0
    while took < seconds / 4:
        n += 1
        start = time.perf_counter()
        pattern.match("x" * n)
        took = time.perf_counter() - start
    pattern.match("x" * (n + 2))  # each x doubles the time


def test_a_child_is_not_blamed_for_the_graders_own_stall(server):
    """A cell that takes 1.5 s of its 2 s limit, while this process cannot run its watcher for ~3 s."""
    import threading

    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("out", _run_plan(
        server, ["import time\ntime.sleep(1.5)\nv = 1"], {0: "v"})))
    worker.start()
    time.sleep(0.3)
    _hold_the_gil(3.0)
    worker.join()
    out = result["out"]
    assert out.cells[0].status == CellStatus.OK and out.captures["v"]["data"] == [1.0], out.cells


NETWORK = ("import socket\n"
           "def reach(port):\n"
           "    try:\n"
           "        socket.create_connection(('127.0.0.1', port), timeout=1).close()\n"
           "        return 1\n"
           "    except OSError:\n"
           "        return 0\n"
           "own = socket.socket()\nown.bind(('127.0.0.1', 0))\nown.listen()\n"
           "v = [reach({port}), reach(own.getsockname()[1])]\n")


@pytest.mark.skipif(not _private_namespaces(), reason="needs root for a network namespace per run")
@pytest.mark.parametrize("level", ["namespace", "process"])
def test_a_run_reaches_its_own_loopback_but_no_network(level: str) -> None:
    """The grader's machine may need a network (a Ray node running the image): its runs never get it."""
    import socket

    with socket.socket() as host, ForkServer([], isolation=level) as server:
        host.bind(("127.0.0.1", 0))
        host.listen()
        ran = _run_plan(server, [NETWORK.format(port=host.getsockname()[1])], {0: "v"})
    assert ran.captures["v"]["data"] == [0.0, 1.0]  # the grader's listener unreachable; its own works


def test_whether_runs_get_namespaces_is_known_before_grading() -> None:
    """What a cluster node checks before it grades (its runs must not reach its network)."""
    from autograder.sandbox.private_fs import runs_get_namespaces

    assert runs_get_namespaces() == (os.geteuid() == 0)  # root here: allowed; otherwise not
