"""Finding the committed PyTorch reference arrays from anywhere in the course."""

from pathlib import Path

import numpy as np
import pytest

from lstm_course.reference import load_torch_reference, reference_path


def test_found_from_the_notebooks_folder_and_from_elsewhere(tmp_path):
    expected = Path(__file__).resolve().parent / "reference" / "lstm_reference.npz"
    notebooks = Path(__file__).resolve().parents[1] / "notebooks"  # where a lesson runs
    assert reference_path("lstm_reference.npz", start=notebooks) == expected
    assert reference_path("lstm_reference.npz", start=tmp_path) == expected  # beside the package
    assert reference_path("rnn_reference.npz", start=tmp_path).is_file()


def test_loads_every_case_with_its_version():
    ref = load_torch_reference("lstm_reference.npz")
    assert ref.torch_version.startswith("2.13.0") and len(ref.cases) >= 4
    for arrays in ref.cases.values():
        N, T, D = arrays["x"].shape
        assert arrays["h"].shape[:2] == (N, T) and arrays["weight_ih"].shape[1] == D


def test_unknown_name_is_refused():
    with pytest.raises(ValueError, match="name must be one of"):
        reference_path("gru_reference.npz")
