"""Tests for lstm_course.tasks.as_words and one_hot: tokens as text, words as one-hot inputs."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_course import tasks


def test_as_words_reads_back_the_tokens_of_delayed_recall():
    x, y = tasks.delayed_recall(5, gap=4, n_classes=3, n_distractors=2, rng=np.random.default_rng(7))
    for seq, cue in zip(x, y):
        words = tasks.as_words(seq, n_classes=3).split()
        assert len(words) == 6 and words[0] == f"c{cue}" and words[-1] == "?"
        tokens = seq.argmax(axis=1)
        assert words[1:-1] == [f"d{k - 3}" for k in tokens[1:-1]]
        assert all(w in ("d0", "d1") for w in words[1:-1])


@pytest.mark.parametrize("sequence,n_classes,match", [
    (np.zeros((2, 3, 13)), 8, r"one sequence of shape \(T, D\)"),
    (np.zeros((3, 9)), 8, r"D = 9 cannot hold 8 cues"),
])
def test_as_words_rejects_what_is_not_one_sequence(sequence, n_classes, match):
    with pytest.raises(ValueError, match=match):
        tasks.as_words(sequence, n_classes)


def test_one_hot_puts_each_word_at_its_index():
    vocab = ["the", "cat", "cats", "sleeps"]
    x = tasks.one_hot(["the", "cats", "the"], vocab)
    assert x.shape == (1, 3, 4) and x.dtype == np.float64
    np.testing.assert_array_equal(x[0].argmax(axis=1), [0, 2, 0])
    np.testing.assert_array_equal(x.sum(axis=2), 1.0)
    assert tasks.one_hot([], vocab).shape == (1, 0, 4)


@pytest.mark.parametrize("words,vocab,match", [
    (["the", "dog"], ["the", "cat"], r"word 'dog' is not in the vocab"),
    (["the"], ["the", "the"], r"distinct words"),
])
def test_one_hot_names_what_is_wrong(words, vocab, match):
    with pytest.raises(ValueError, match=match):
        tasks.one_hot(words, vocab)
