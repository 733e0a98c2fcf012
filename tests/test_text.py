"""The committed text, its vocabulary, the split by position and the streams of truncated BPTT."""

import hashlib

import numpy as np
import pytest

from lstm_course.text import (CORPUS_SHA256, Vocabulary, corpus_path, iter_chunks, load_corpus, make_streams,
                              split_by_position)
from lstm_course.text_properties import PROPERTIES, closing_pairs, position_properties


def test_committed_text_is_the_one_the_script_made():
    data = corpus_path().read_bytes()
    assert hashlib.sha256(data).hexdigest() == CORPUS_SHA256
    assert len(data) <= 1_000_000  # the limit
    text = load_corpus()
    assert set(text) <= {chr(c) for c in range(32, 127)} | {"\n"}
    assert text.startswith(".. _tutorial-index:")
    assert "Python Frequently Asked Questions" in text


def test_changed_text_is_refused(tmp_path, monkeypatch):
    fake = tmp_path / "data" / "python_docs.txt"
    fake.parent.mkdir()
    fake.write_text("not the text")
    monkeypatch.setattr("lstm_course.text.corpus_path", lambda: fake)
    with pytest.raises(ValueError, match="not the committed text"):
        load_corpus(fake)


def test_vocabulary_round_trip_and_errors():
    vocab = Vocabulary.from_text("hello, world\n")
    assert vocab.chars == "\n ,dehlorw"
    ids = vocab.encode("world")
    assert ids.dtype == np.int64 and vocab.decode(ids) == "world"
    with pytest.raises(ValueError, match="not in the vocabulary: 'qz'"):
        vocab.encode("zoq")
    with pytest.raises(ValueError, match=r"ids in \[0, 10\)"):
        vocab.decode(np.array([0, 10]))
    with pytest.raises(ValueError, match="distinct"):
        Vocabulary("aa")


def test_split_is_by_position_and_covers_everything():
    ids = np.arange(1000)
    train, val, test = split_by_position(ids)
    assert (len(train), len(val), len(test)) == (900, 50, 50)
    assert np.array_equal(np.concatenate([train, val, test]), ids)  # in order, nothing shuffled or lost
    with pytest.raises(ValueError, match="summing to 1"):
        split_by_position(ids, (0.5, 0.4))


def test_streams_and_chunks_follow_each_other():
    ids = np.arange(103)
    streams = make_streams(ids, 4)
    assert streams.shape == (4, 25) and streams[1, 0] == 25  # row n is the n-th stretch
    chunks = list(iter_chunks(streams, 10))
    assert [x.shape[1] for x, _ in chunks] == [10, 10, 4]  # 24 predictions per row
    for x, y in chunks:
        assert np.array_equal(y, x + 1)  # the target is the next character
    joined = np.concatenate([x for x, _ in chunks], axis=1)
    assert np.array_equal(joined, streams[:, :-1])  # chunk k + 1 starts where chunk k stopped
    with pytest.raises(ValueError, match="at least 2 N"):
        make_streams(np.arange(5), 4)


def test_position_properties_on_a_known_text():
    text = 'ab (cd "x") ``y`` e\n   f(1)'
    props = position_properties(text)
    assert set(props) == set(PROPERTIES)
    at = {name: "".join(str(int(v)) for v in values) for name, values in props.items()}
    #            a b _ ( c d _ " x " ) _ ` ` y ` ` _ e \n_ _ _ f ( 1 )
    assert at["in_parens"] == "000111111100000000000000110"
    assert at["in_quotes"] == "000000011000000000000000000"
    assert at["in_literal"] == "000000000000011100000000000"  # the closing pair ends it
    assert at["in_code_line"] == "000000000000000000000011111"
    assert at["in_word"] == "110011001000001000100001010"
    assert props["column"][:3].tolist() == [1, 2, 3] and props["column"][19] == 0 and props["column"][-1] == 7


def test_closing_pairs_and_distances():
    text = 'f(a, (b)) ``x`` "q"\n"open\n'
    pairs = closing_pairs(text)
    assert pairs[")"][0].tolist() == [7, 8] and pairs[")"][1].tolist() == [2, 7]
    assert pairs["``"][0].tolist() == [13] and pairs["``"][1].tolist() == [3]
    assert pairs['"'][0].tolist() == [18] and pairs['"'][1].tolist() == [2]  # "open is never closed
