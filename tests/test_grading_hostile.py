"""A class with hostile students: every attack of issue 11, graded in one run of `lstm-course grade`.

Each hostile submission attacks from inside its exercise function (the code the grader must run),
then returns the right answer or a wrong one. The tests check that honest students' grades are
intact, that no cheat passes, that no secret reaches any output, that nothing outside the output
changed, that no network was reached and that no process outlives the grader.

The old grader (which executed each notebook as the instructor and read the checks' printed results)
failed every one of these: see the report of issue 11.
"""

import csv
import hashlib
import http.server
import os
import threading
import time
from pathlib import Path

import pytest

import lstm_course.checks.core as checks_core
import lstm_course.lstm as lstm_module
from grading_class import (LESSON, RIGHT_F, TANH_F, lessons_dir, run_cli, sandbox_processes,
                           submission, write)
from lstm_course.grading.sandbox import bwrap_problem

pytestmark = pytest.mark.skipif(bwrap_problem() is not None and not os.environ.get("CI"),
                                reason=f"no sandbox: {bwrap_problem()}")

TOKEN = "instructor-token-7d1f0c"  # in the grader's environment
SECRET = "grading-secret-93ab2e"  # on the grader's command line


def _sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class _Hits(http.server.BaseHTTPRequestHandler):
    hits = []

    def do_GET(self):  # noqa: N802
        _Hits.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"pass")

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    lessons = lessons_dir(tmp)
    subs, out = tmp / "submissions", tmp / "out"
    out.mkdir()
    csv_path = out / "grades.csv"
    marker = tmp / "pwned"
    server = http.server.HTTPServer(("127.0.0.1", 0), _Hits)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/leak"
    victim = subs / "victim" / LESSON
    package_files = {p: _sha(p) for p in (Path(checks_core.__file__), Path(lstm_module.__file__))}

    write(submission(tmp), victim)
    write(submission(tmp, forget=TANH_F), subs / "honest_wrong" / LESSON)
    write(submission(tmp, forget=None, hidden=None), subs / "honest_unsolved" / LESSON)
    attacks = {
        # rewrites another student's submission, then answers
        "rewriter": f"""
            try:
                p = {str(victim)!r}
                open(p, "w").write("{{}}")
            except Exception:
                pass
            {RIGHT_F}""",
        # patches the installed checks so that anything passes, and the reference module
        "patcher": f"""
            for p in {[str(p) for p in package_files]!r}:
                try:
                    with open(p, "a") as fh:
                        fh.write("\\nclose = lambda *a, **k: True\\n")
                except Exception:
                    pass
            return x[:, :1] * 0""",
        # reads the environment and every process's command line, and leaks them in its error
        "snoop": f"""
            import glob, os
            found = [repr(dict(os.environ))]
            for p in glob.glob("/proc/*/cmdline") + glob.glob("/proc/*/environ"):
                try:
                    found.append(open(p, "rb").read().decode(errors="replace"))
                except Exception:
                    pass
            for p in glob.glob({str(out)!r} + "/*") + glob.glob({str(subs)!r} + "/*/*"):
                try:
                    found.append(open(p).read())
                except Exception:
                    pass
            hits = [s for s in found if any(w in s for w in ("instructor-token", "grading-secret", "def forget"))]
            raise RuntimeError(f"LEAK {{len(found)}} " + " ".join(hits)[:200])""",
        # reaches a server on the grader's machine
        "network": f"""
            import urllib.request
            try:
                urllib.request.urlopen({url!r}, timeout=2).read()
            except Exception:
                pass
            {RIGHT_F}""",
        # leaves a detached process that edits the CSV after the grader exits
        "detached": f"""
            import os, subprocess
            cmd = "sleep 3; echo pwned >> {csv_path}; touch {marker}"
            try:
                subprocess.Popen(["/bin/sh", "-c", cmd], start_new_session=True)
            except Exception:
                pass
            try:
                if os.fork() == 0:
                    os.setsid()
                    import time
                    time.sleep(3)
                    open({str(marker)!r}, "w").write("pwned")
                    os._exit(0)
            except Exception:
                pass
            {RIGHT_F}""",
        "forkbomb": f"""
            import os
            for _ in range(100000):
                try:
                    os.fork()
                except OSError:
                    break
            {RIGHT_F}""",
        "memoryhog": """
            blocks = []
            while True:
                blocks.append(bytearray(256 * 2 ** 20))""",
        # imports the solution
        "importer": """
            from lstm_course.lstm import lstm_step_forward
            _, _, cache = lstm_step_forward(x, h_prev, np.zeros_like(h_prev), params)
            return cache.f""",
        # forges a result: prints a passing bundle, patches NumPy and the checks, calls the check
        "forger": """
            import numpy
            print('{"check": "check_forget_gate", "status": "pass", "passed": true, "message": "ok"}')
            numpy.allclose = lambda *a, **k: True
            numpy.max = lambda *a, **k: 0.0
            try:
                import lstm_course.checks.core as core
                core.close = lambda *a, **k: True
            except Exception:
                pass
            try:
                from lstm_course.checks import check_forget_gate
                check_forget_gate(lambda *a: None)
            except Exception:
                pass
            return numpy.zeros((x.shape[0], params.W_xf.shape[1]))""",
        "fake_result": """
            try:
                from lstm_course.checks import CheckResult
                return CheckResult("check_forget_gate", True, "all 3 cases match the reference", "pass")
            except Exception:
                return {"check": "check_forget_gate", "status": "pass", "passed": True, "message": "ok"}""",
        # looks for the solution's source anywhere it can read, and uses it
        "reader": f"""
            import glob, os
            places = [{str(Path(lstm_module.__file__).parent)!r}, {str(Path(lstm_module.__file__).parent.parent)!r},
                      "/tmp", "/home", "/root", os.getcwd()]
            for place in places if not getattr(forget_gate, "searched", False) else []:
                forget_gate.searched = True
                for path in glob.glob(place + "/**/*.py", recursive=True)[:3000] + glob.glob(place + "/**/*.ipynb",
                                                                                           recursive=True)[:300]:
                    try:
                        text = open(path).read()
                    except Exception:
                        continue
                    if "def lstm_step_" + "forward(" in text or (path.endswith(".ipynb") and "END " + "SOLUTION" in text):
                        raise RuntimeError("FOUND " + path)
            {RIGHT_F}""",
        "printer": """
            print("✅ check_forget_gate: all 3 cases match the reference" * 100000)
            return x[:, :1]""",
    }
    for name, body in attacks.items():
        write(submission(tmp, forget=body), subs / name / LESSON)
    # a solution imported at the top level and used inside the function
    write(submission(tmp, forget="_, _, cache = lstm_step_forward(x, h_prev, 0 * h_prev, params)\nreturn cache.f"),
          subs / "top_importer" / LESSON)
    # deletes an exercise: its row must be missing, not absent
    write(submission(tmp, drop=("def hidden_state", "check_hidden_state(hidden_state)")), subs / "deleter" / LESSON)
    for name, value in (("meta_string", "hello"), ("meta_number", {"exercises": 5}), ("meta_list", [123])):
        nb = submission(tmp)
        nb.metadata["lstm_course"] = value
        write(nb, subs / name / LESSON)

    before_subs = {p: _sha(p) for p in subs.rglob("*.ipynb") if p != victim}
    scratch = tmp / "scratch"  # the grader's TMPDIR: its sandboxes' command lines name it
    scratch.mkdir()
    env = dict(os.environ, INSTRUCTOR_TOKEN=TOKEN, LSTM_COURSE_EXPECT="pass", TMPDIR=str(scratch))
    started = time.monotonic()
    done = run_cli("grade", subs, "--output", csv_path, "--lessons", lessons, "--secret", SECRET,
                   "--timeout", "8", "--memory", "1024", "--jobs", "2", env=env)
    seconds = time.monotonic() - started
    time.sleep(4)  # long enough for a detached process to strike
    alive = sandbox_processes(scratch)
    with open(csv_path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    server.shutdown()
    outputs = "".join(p.read_text(encoding="utf-8", errors="replace") for p in out.rglob("*") if p.is_file())
    return {"done": done, "rows": rows, "seconds": seconds, "alive": alive, "marker": marker, "victim": victim,
            "package_files": package_files, "before_subs": before_subs, "outputs": outputs, "csv": csv_path,
            "stdout": done.stdout + done.stderr}


def _status(attacked, who):
    return {r["exercise"]: (r["status"], r["message"]) for r in attacked["rows"]
            if r["submission"] == f"{who}/{LESSON}"}


def test_the_run_finishes(attacked):
    assert attacked["done"].returncode == 0, attacked["done"].stderr[-2000:]


def test_honest_grades_are_intact(attacked):
    assert _status(attacked, "victim")["check_forget_gate"][0] == "pass"
    assert _status(attacked, "victim")["check_hidden_state"][0] == "pass"
    assert _status(attacked, "honest_wrong")["check_forget_gate"][0] == "fail"
    assert "tanh instead of a sigmoid" in _status(attacked, "honest_wrong")["check_forget_gate"][1]
    assert {s for s, _ in _status(attacked, "honest_unsolved").values()} == {"not_implemented"}


def test_no_other_submission_is_changed(attacked):
    assert "def forget_gate" in attacked["victim"].read_text(encoding="utf-8")
    assert all(_sha(p) == h for p, h in attacked["before_subs"].items())


def test_installed_package_is_not_patched(attacked):
    assert all(_sha(p) == h for p, h in attacked["package_files"].items())
    assert _status(attacked, "patcher")["check_forget_gate"][0] == "fail"


def test_no_secret_reaches_any_output(attacked):
    status, message = _status(attacked, "snoop")["check_forget_gate"]
    assert status == "fail" and "LEAK" in message  # the attack ran ...
    for secret in (TOKEN, SECRET, "INSTRUCTOR_TOKEN", "def forget_gate"):
        assert secret not in attacked["outputs"]  # ... and found nothing
    assert TOKEN not in attacked["stdout"] and SECRET not in attacked["stdout"]


def test_no_network(attacked):
    assert _Hits.hits == []
    assert _status(attacked, "network")["check_forget_gate"][0] == "pass"


def test_no_process_outlives_the_grader(attacked):
    assert not attacked["marker"].exists()
    assert "pwned" not in attacked["csv"].read_text(encoding="utf-8")
    assert attacked["alive"] == []


def test_fork_bomb_and_memory_hog_are_contained(attacked):
    assert _status(attacked, "forkbomb")["check_forget_gate"][0] == "pass"  # fork simply fails
    status, message = _status(attacked, "memoryhog")["check_forget_gate"]
    assert status in ("fail", "crashed") and ("MemoryError" in message or "memory" in message)
    assert _status(attacked, "memoryhog")["check_hidden_state"][0] == "pass"  # graded after the crash


def test_importing_the_solution_is_refused(attacked):
    for who in ("importer", "top_importer"):
        status, message = _status(attacked, who)["check_forget_gate"]
        assert status == "fail"
        assert "not allowed in an exercise: import of lstm_course.lstm" in message


def test_the_solutions_cannot_be_read(attacked):
    assert _status(attacked, "reader")["check_forget_gate"] == ("pass", "all 3 cases match the reference")


def test_forging_a_result_does_not_pass(attacked):
    status, message = _status(attacked, "forger")["check_forget_gate"]
    assert status == "fail", message
    assert _status(attacked, "printer")["check_forget_gate"][0] == "fail"
    assert _status(attacked, "fake_result")["check_forget_gate"][0] == "fail"


def test_a_deleted_exercise_is_missing(attacked):
    rows = _status(attacked, "deleter")
    assert rows["check_forget_gate"][0] == "pass"
    assert rows["check_hidden_state"][0] == "missing"
    assert "hidden_state is not defined" in rows["check_hidden_state"][1]


def test_malformed_metadata_is_ignored(attacked):
    for who in ("meta_string", "meta_number", "meta_list"):
        assert {s for s, _ in _status(attacked, who).values()} == {"pass"}
