"""bench/run.py, `make bench`'s orchestrator: one table from every benchmark's rows, a row "did
not run" for a benchmark that is missing, crashes or writes nothing, and the exit status.

The orchestration is tested with small benchmark scripts written to a temporary folder (a real
benchmark takes minutes to hours); one real benchmark, the cheapest, runs end to end on
PostgreSQL. Timings are never asserted.
"""

import json
import os
import textwrap

import pytest

from bench import run
from tests.conftest import require_service

WRITES_ROWS = """
    import json, sys
    args = sys.argv[1:]
    path = args[args.index("--json") + 1]
    rows = [
        {"what": "a page, cached", "figure": 0.72, "unit": "x floor req/s", "goal": ">= 0.6",
         "met": True, "detail": "quick" if "--quick" in args else "full"},
        {"what": "a page, uncached", "figure": 0.05, "unit": "x floor req/s", "goal": ">= 0.6",
         "met": False, "detail": ""},
        {"what": "indexing", "figure": 0.3, "unit": "x _bulk", "goal": None, "met": None,
         "detail": ""},
    ]
    json.dump({"benchmark": "reports", "started": "2026-11-26T00:00:00+00:00",
               "finished": "2026-11-26T00:01:00+00:00", "machine": "test",
               "sizes": {"cases": 1000}, "rows": rows,
               "notes": ["the uncached page: the profile that shows why"]}, open(path, "w"))
"""
CRASHES = """
    print("setting up")
    raise SystemExit("the inbox exploded")
"""
WRITES_NOTHING = """
    print("done, but forgot the rows")
"""


@pytest.fixture
def scripts(tmp_path):
    folder = tmp_path / "bench"
    folder.mkdir()

    def write(name, body):
        (folder / f"{name}.py").write_text(textwrap.dedent(body))

    return folder, write


def orchestrate(folder, *arguments):
    results = folder.parent / "results"
    status = run.main(["--scripts", str(folder), "--results", str(results), *arguments])
    return status, results


def table_line(output: str, benchmark: str, what: str) -> list[str]:
    """The cells of the table line of `benchmark` whose "what" starts with `what`."""
    for line in output.splitlines():
        cells = line.split("  ")
        cells = [cell.strip() for cell in cells if cell.strip()]
        if cells[:1] == [benchmark] and cells[1].startswith(what):
            return cells
    raise AssertionError(f"no line for {benchmark}: {what} in\n{output}")


def test_one_table_with_did_not_run_rows_and_a_failing_exit_status(scripts, capsys):
    folder, write = scripts
    write("reports", WRITES_ROWS)
    write("inbox", CRASHES)
    write("submission", WRITES_NOTHING)  # pages: no script at all

    status, results = orchestrate(folder, "--only", "reports,inbox,pages,submission")
    output = capsys.readouterr().out

    assert status == 1
    assert output.splitlines()[0].split() == run.COLUMNS
    assert table_line(output, "reports", "a page, cached") == [
        "reports", "a page, cached", "0.72", "x floor req/s", ">= 0.6", "met", "full"
    ]  # fmt: skip
    assert table_line(output, "reports", "a page, uncached")[5] == "NOT met"
    assert table_line(output, "reports", "indexing")[2:] == ["0.3", "x _bulk"]
    assert "exit status 1: the inbox exploded" in table_line(output, "inbox", "did not run")[1]
    assert "pages.py does not exist" in table_line(output, "pages", "did not run")[1]
    assert "wrote no rows" in table_line(output, "submission", "did not run")[1]
    assert "did not run: inbox, pages, submission" in output

    [saved] = results.glob("bench-*.json")
    written = json.loads(saved.read_text())
    assert [result["benchmark"] for result in written["benchmarks"]] == [
        "reports", "inbox", "pages", "submission"
    ]  # fmt: skip
    assert written["benchmarks"][0]["sizes"] == {"cases": 1000}
    assert {"cores", "ram_gb", "load_before", "load_after", "python", "postgresql"} <= set(
        written["machine"]
    )
    latest = (results / "latest.md").read_text()
    assert "| reports | a page, uncached | 0.05 | x floor req/s | >= 0.6 | NOT met |  |" in latest
    assert "| inbox | did not run: exit status 1: the inbox exploded |" in latest
    assert "- the uncached page: the profile that shows why" in latest
    assert "reports cases 1,000" in latest


def test_every_benchmark_ran_exits_zero_and_quick_reaches_the_scripts(scripts, capsys):
    folder, write = scripts
    write("reports", WRITES_ROWS)

    status, _results = orchestrate(folder, "--only", "reports", "--quick")
    output = capsys.readouterr().out

    assert status == 0
    assert table_line(output, "reports", "a page, cached")[-1] == "quick"
    assert "did not run" not in output


def test_an_unknown_benchmark_is_refused(scripts):
    folder, _write = scripts
    with pytest.raises(SystemExit) as refused:
        orchestrate(folder, "--only", "reports,typo")
    assert refused.value.code == 2


@pytest.mark.postgres
def test_the_submission_benchmark_end_to_end(tmp_path, capsys):
    """The real bench/submission.py, --quick, on the PostgreSQL server of DATABASE_URL (in its
    own database, mrejesho_submissionbench)."""
    require_service(
        "PostgreSQL",
        os.environ.get("DATABASE_URL", "").startswith("postgres"),
        "set DATABASE_URL=postgres://... (bash .ci/run does)",
    )
    results = tmp_path / "results"
    status = run.main(["--quick", "--only", "submission", "--results", str(results)])
    output = capsys.readouterr().out

    assert status == 0, output
    cells = table_line(output, "submission", "workflow + audit per submission")
    assert cells[3] == "x bare insert"
    assert float(cells[2]) > 0
    assert "best of 3 x 50" in cells[-1]
    assert "| submission | workflow + audit per submission |" in (results / "latest.md").read_text()


SAYS_ITS_ENGINE = """
    import json, os, sys
    args = sys.argv[1:]
    path = args[args.index("--json") + 1]
    row = {"what": "engine", "figure": 1, "unit": "", "goal": None, "met": None,
           "detail": os.environ.get("ELASTICSEARCH_URL", "none")}
    json.dump({"benchmark": "inbox", "started": "2026-11-26T00:00:00+00:00",
               "finished": "2026-11-26T00:01:00+00:00", "machine": "test", "sizes": {},
               "rows": [row], "notes": []}, open(path, "w"))
"""


def test_a_run_without_the_search_benchmarks_names_no_search_engine(scripts, capsys, monkeypatch):
    """Elasticsearch starts only for search and load; the others must not be pointed at an
    engine nobody started (the inbox's health check then failed)."""
    folder, write = scripts
    write("inbox", SAYS_ITS_ENGINE)
    monkeypatch.setenv("ELASTICSEARCH_URL", "http://127.0.0.1:9")
    monkeypatch.delenv("BENCH_ELASTICSEARCH_URL", raising=False)
    status, _results = orchestrate(folder, "--only", "inbox")
    assert status == 0
    assert table_line(capsys.readouterr().out, "inbox", "engine")[-1] == "none"
