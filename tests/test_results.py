"""The results mechanism: records carry their provenance, units resume, bad names are refused."""

import json

import numpy as np
import pytest

from lstm_course import results


@pytest.fixture
def toy(tmp_path):
    calls = []

    @results.experiment("toy_for_tests", seeds=(0, 1), settings={"steps": 3}, description="a toy")
    def run(runner):
        runner.expect(len(runner.seeds))
        out = {}
        for seed in runner.seeds:
            def work(seed=seed):
                calls.append(seed)
                return {"value": np.float64(seed) * runner.settings["steps"]}
            out[str(seed)] = runner.unit({"seed": seed}, work)
        runner.save_checkpoint({"w": np.arange(3.0)})
        return out

    yield tmp_path, calls
    results.EXPERIMENTS.pop("toy_for_tests", None)


def test_record_has_data_seeds_settings_revision_and_time(toy):
    directory, _ = toy
    results.run_experiment("toy_for_tests", directory=directory, quiet=True)
    record = results.load_result("toy_for_tests", directory)
    assert record["data"] == {"0": {"value": 0.0}, "1": {"value": 3.0}}
    assert record["seeds"] == [0, 1] and record["settings"] == {"steps": 3}
    assert record["revision"] and record["seconds"] >= 0
    np.testing.assert_array_equal(results.load_checkpoint("toy_for_tests", directory)["w"], np.arange(3.0))
    assert not (directory / ".partial" / "toy_for_tests").exists()


def test_an_interrupted_run_resumes_its_finished_units(toy):
    directory, calls = toy
    results.run_experiment("toy_for_tests", directory=directory, quiet=True, write=False)
    assert calls == [0, 1]
    results.run_experiment("toy_for_tests", directory=directory, quiet=True)
    assert calls == [0, 1], "finished units must be read back, not computed again"
    results.run_experiment("toy_for_tests", directory=directory, quiet=True, resume=False)
    assert calls == [0, 1, 0, 1]


def test_missing_results_and_unknown_names_say_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="make results"):
        results.load_result("nothing_here", tmp_path)
    with pytest.raises(KeyError, match="unknown experiment"):
        results.run_experiment("nothing_here", directory=tmp_path)
    with pytest.raises(ValueError, match="experiment name"):
        results.experiment("bad name", seeds=(0,), settings={})


def test_results_files_hold_plain_json(toy):
    directory, _ = toy
    path = results.save_result("plain", {"a": np.arange(2), "b": np.float32(0.5)}, seeds=(0,),
                               settings={}, seconds=1.0, directory=directory)
    assert json.loads(path.read_text())["data"] == {"a": [0, 1], "b": 0.5}
