"""What the instructor takes away: the long CSV, the gradebook, feedback files, similarity.

All of them are made from the long CSV's rows alone, so that `lstm-course grade merge` gives the
same files from shards as one run does.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

from .notebook import sketch_similarity
from .runner import NOTEBOOK_ROW, Row

__all__ = ["COLUMNS", "write_csv", "read_csv", "write_gradebook", "write_feedback", "write_similarity",
           "summary", "outputs_for", "student_of", "write_all", "sort_rows"]

COLUMNS = ("submission", "exercise", "status", "passed", "message", "lesson", "student", "fingerprint",
           "sketch")
SIMILAR = 0.8  # estimated Jaccard similarity of two solutions' 5-grams flagged as near-identical


def student_of(submission):
    """The student a submission belongs to: its first folder, else its file name without .ipynb."""
    parts = submission.split("/")
    return parts[0] if len(parts) > 1 else re.sub(r"\.ipynb$", "", parts[0])


def outputs_for(output):
    """The files written beside the long CSV `output` (grades.csv -> grades_gradebook.csv, ...)."""
    output = Path(output)
    stem = output.with_suffix("")
    return {"gradebook": Path(f"{stem}_gradebook.csv"), "feedback": Path(f"{stem}_feedback"),
            "similarity": Path(f"{stem}_similarity.md"), "secret": Path(f"{stem}.secret")}


def _atomic_write(path, write):
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def sort_rows(rows, order=None):
    """Rows by submission (`order`: submission -> rank, else by name), keeping each one's order."""
    rank = order or {}
    indexed = list(enumerate(rows))
    indexed.sort(key=lambda p: (rank.get(p[1].submission, float("inf")), p[1].submission, p[0]))
    return [r for _, r in indexed]


def write_csv(rows, output):
    """Write the long CSV atomically (a reader never sees half a file)."""
    def write(fh):
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow(row.as_csv())
    _atomic_write(output, write)


def read_csv(path):
    """Rows of a long CSV written by `write_csv` (older files without the extra columns too)."""
    rows = []
    with open(path, newline="", encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            if not rec.get("submission"):
                continue
            rows.append(Row(rec["submission"], rec.get("exercise", ""), rec.get("status", ""),
                            rec.get("passed") == "1", rec.get("message", ""), rec.get("lesson", "") or "",
                            rec.get("student", "") or student_of(rec["submission"]),
                            rec.get("fingerprint", "") or "", rec.get("sketch", "") or ""))
    return rows


def _by_submission(rows):
    groups = defaultdict(list)
    for r in rows:
        groups[r.submission].append(r)
    return groups


def write_gradebook(rows, path):
    """One row per student, one column per exercise (1/0), a total; for an LMS import.

    A student with two submissions of the same lesson gets the better one (most passes), and a
    note naming the other.
    """
    groups = _by_submission(rows)
    lessons = sorted({r.lesson for r in rows if r.exercise != NOTEBOOK_ROW})
    exercises = []
    for r in rows:
        key = (r.lesson, r.exercise)
        if r.exercise != NOTEBOOK_ROW and key not in exercises:
            exercises.append(key)
    exercises.sort(key=lambda k: (lessons.index(k[0]) if k[0] in lessons else 0,))
    names = {k: (k[1] if sum(e[1] == k[1] for e in exercises) == 1 else f"{k[0].removesuffix('.ipynb')}/{k[1]}")
             for k in exercises}
    best, notes = {}, defaultdict(list)
    for sub, mine in sorted(groups.items()):
        student = mine[0].student or student_of(sub)
        lesson = next((r.lesson for r in mine if r.lesson), "")
        score = sum(r.passed for r in mine if r.exercise != NOTEBOOK_ROW)
        key = (student, lesson)
        if key in best:
            kept_sub, kept_score = best[key]
            if score > kept_score:
                notes[student].append(f"{kept_sub} also submitted")
                best[key] = (sub, score)
            else:
                notes[student].append(f"{sub} also submitted")
        else:
            best[key] = (sub, score)
    students = sorted({s for s, _ in best})

    def write(fh):
        writer = csv.writer(fh)
        writer.writerow(["student", *[names[k] for k in exercises], "total", "out_of", "notes"])
        for student in students:
            cells, total, out_of = [], 0, 0
            for key in exercises:
                sub = best.get((student, key[0]))
                if sub is None:
                    cells.append("")
                    continue
                got = next((r for r in groups[sub[0]] if r.exercise == key[1]), None)
                value = int(bool(got and got.passed))
                cells.append(value)
                total += value
                out_of += 1
            problems = [f"{r.submission}: {r.status}" for (s, _), (sub, _) in best.items() if s == student
                        for r in groups[sub] if r.exercise == NOTEBOOK_ROW]
            writer.writerow([student, *cells, total, out_of, "; ".join(notes[student] + problems)])
    _atomic_write(path, write)


_ICON = {"pass": "✅", "fail": "❌", "not_implemented": "⬜", "missing": "❔", "timeout": "⏱", "crashed": "💥",
         "error": "⚠️"}


def _safe_filename(name):
    safe = re.sub(r"[^\w.-]+", "_", name, flags=re.UNICODE).strip("._") or "student"
    return safe[:100]


def write_feedback(rows, folder):
    """One Markdown file per student with every exercise's status and hint."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    by_student = defaultdict(list)
    for r in rows:
        by_student[r.student or student_of(r.submission)].append(r)
    used = Counter()
    for student, mine in sorted(by_student.items()):
        base = _safe_filename(student)
        used[base] += 1
        filename = base if used[base] == 1 else f"{base}-{used[base]}"
        lines = [f"# Feedback for {student}", ""]
        for sub, rs in _by_submission(mine).items():
            ex = [r for r in rs if r.exercise != NOTEBOOK_ROW]
            lines += [f"## {sub}", "", f"{sum(r.passed for r in ex)} of {len(ex)} exercises passed.", ""]
            for r in rs:
                what = "the notebook" if r.exercise == NOTEBOOK_ROW else f"`{r.exercise}`"
                lines.append(f"- {_ICON.get(r.status, '•')} {what} ({r.status.replace('_', ' ')}): {r.message}")
            lines.append("")
        _atomic_write(folder / f"{filename}.md", lambda fh, text="\n".join(lines): fh.write(text))


def similar_groups(rows, threshold=SIMILAR):
    """[(lesson, exercise, kind, [submissions])]: identical solutions, then near-identical pairs."""
    out = []
    per = defaultdict(list)
    for r in rows:
        if r.exercise != NOTEBOOK_ROW and r.fingerprint:
            per[(r.lesson, r.exercise)].append(r)
    for (lesson, exercise), rs in sorted(per.items()):
        exact = defaultdict(list)
        for r in rs:
            exact[r.fingerprint].append(r)
        groups = [sorted(g, key=lambda r: r.submission) for g in exact.values()]
        for g in groups:
            if len({r.student for r in g}) > 1:
                out.append((lesson, exercise, "identical", [r.submission for r in g]))
        reps = [g[0] for g in groups]
        for i in range(len(reps)):
            for j in range(i + 1, len(reps)):
                a, b = reps[i], reps[j]
                if a.student != b.student and sketch_similarity(a.sketch, b.sketch) >= threshold:
                    out.append((lesson, exercise, f"near-identical ({sketch_similarity(a.sketch, b.sketch):.0%})",
                                [a.submission, b.submission]))
    return out


def write_similarity(rows, path):
    groups = similar_groups(rows)
    lines = ["# Similar solutions", "",
             "Solutions are compared after normalisation: local names, comments, docstrings and layout "
             "do not count. Short exercises have few ways to be right, so identical correct one-liners "
             "are expected; look at long or wrong solutions that agree.", ""]
    if not groups:
        lines.append("No two students have identical or near-identical solutions.")
    for lesson, exercise, kind, subs in groups:
        lines.append(f"- {lesson} `{exercise}`, {kind}: " + ", ".join(subs))
    _atomic_write(path, lambda fh: fh.write("\n".join(lines) + "\n"))


def write_all(rows, output):
    """The long CSV and everything beside it."""
    paths = outputs_for(output)
    write_csv(rows, output)
    write_gradebook(rows, paths["gradebook"])
    write_feedback(rows, paths["feedback"])
    write_similarity(rows, paths["similarity"])
    return paths


def summary(rows):
    """A short text summary: totals, then one line per submission."""
    submissions = list(dict.fromkeys(r.submission for r in rows))
    exercise_rows = [r for r in rows if r.exercise != NOTEBOOK_ROW]
    counts = Counter(r.status for r in exercise_rows)
    parts = [f"{counts[s]} {label}" for s, label in (
        ("pass", "passed"), ("fail", "failed"), ("not_implemented", "not implemented"), ("missing", "missing"),
        ("timeout", "timed out"), ("crashed", "crashed"), ("error", "errors")) if counts[s]]
    lines = [f"graded {len(submissions)} submission{'s' if len(submissions) != 1 else ''}, "
             f"{len(exercise_rows)} exercise result{'s' if len(exercise_rows) != 1 else ''}"
             + (f": {', '.join(parts)}" if parts else "")]
    for sub in submissions:
        mine = [r for r in rows if r.submission == sub]
        ex = [r for r in mine if r.exercise != NOTEBOOK_ROW]
        line = f"  {sub}: {sum(r.passed for r in ex)}/{len(ex)} passed"
        problems = [f"{r.status}: {r.message}" for r in mine if r.exercise == NOTEBOOK_ROW]
        if problems:
            line += " - " + "; ".join((p if len(p) <= 120 else p[:119] + "…") for p in problems)
        lines.append(line)
    return "\n".join(lines)
