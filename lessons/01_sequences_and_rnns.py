# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 01 · Sequences and RNNs
#
# Words, notes of music, sensor readings: many inputs arrive one after another, and what a step
# means depends on the steps before it. A recurrent neural network (RNN) reads such a sequence one
# step at a time and carries a running summary, its hidden state, from each step to the next. This
# lesson builds that idea from one line of NumPy up to a trained model.
#
# **Goals**
#
# - Read the picture of an RNN, folded into a loop and unrolled in time.
# - Compute one RNN step in NumPy, and see that a whole sequence is that step in a loop.
# - Meet the task the course uses throughout: *delayed recall*, where the answer was given a chosen
#   number of steps earlier (the gap).
# - Train an RNN that bridges a short gap, and see the same recipe struggle with a long one.
# - Exercise: write the RNN step yourself.
#
# **Prerequisites:** this is the first lesson. You need Python, NumPy arrays and matrix products
# (`@`), and a rough idea of how a network is trained by gradient descent.
#
# **The notes.** The course follows the order and the pictures of Christopher Olah's blog post
# ["Understanding LSTM Networks"](https://colah.github.io/posts/2015-08-Understanding-LSTMs/)
# (2015), which later lessons call "the notes": the unrolled RNN, the cell state as a conveyor
# belt, one gate at a time, and the examples of a language model that must remember a subject's
# gender or number. You do not need to read it first; every lesson says what it takes from it, and
# every sentence and figure here is our own.

# %%
import numpy as np
import matplotlib.pyplot as plt
%config InlineBackend.figure_format = "png"
plt.rcParams["figure.dpi"] = 72  # small stored figures

from lstm_course.checks import check_rnn_step_forward
from lstm_course.diagrams import draw_rnn_cell, draw_unrolled_rnn
from lstm_course.experiments import train_on_gap
from lstm_course.plots import plot_training_curves
from lstm_course.rnn import init_rnn_params, rnn_forward, rnn_step_forward
from lstm_course.tasks import DEFAULT_N_DISTRACTORS, as_words, delayed_recall, delayed_recall_query_index

np.set_printoptions(precision=3, suppress=True)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Short gaps and long gaps
#
# Imagine a model that guesses the next word of a sentence.
#
# - In "the clouds are in the ___", the words just before the blank are enough: the answer is *sky*.
#   What matters sits one or two steps back.
# - In "I grew up in France. … (a whole paragraph) … I speak fluent ___", the nearby words only say
#   that a language comes next. *Which* language was settled by "France", many steps earlier.
#
# The distance between the useful clue and the place where it is needed is the **gap**. A plain RNN
# copes well with short gaps. As the gap grows, it becomes harder and harder for it to learn the
# connection. This lesson trains an RNN on a short gap and on a long one; the next lesson measures what
# goes wrong on long gaps, and why.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## An RNN, folded and unrolled
#
# On the left, the RNN as it is built: one module with a loop, so that its output at one step comes
# back as an input at the next. On the right, the same network *unrolled*: one copy per time step,
# with the loop drawn as an arrow from each copy to the next.

# %%
ax = draw_unrolled_rnn(steps=4)
plt.show()

# %% [markdown]
# Every copy is the *same* module with the *same* weights; unrolling only lays the steps out side by
# side. At step $t$ the module reads the new input $x_t$ and the previous hidden state $h_{t-1}$,
# and produces $h_t$, which is both this step's output and the memory handed to step $t+1$. That one
# horizontal line is the only road along which anything from the past can reach the present: we will
# call it the RNN's **main line**.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Reading the diagrams
#
# The notes, and the course's diagrams, follow the pictures of Christopher Olah's blog post
# *Understanding LSTM Networks* (2015), which is also where both examples above come from (and the
# two of lessons 04 and 07). The notes ask us to "get comfortable with the notation" but leave out
# the post's legend, so here it is, as our diagrams use it:
#
# | in the diagrams | what it means |
# |---|---|
# | a box with $\sigma$ or $\tanh$ | a **neural-network layer**: a learnt weight matrix and bias, then that activation |
# | a circle with $\times$ or $+$, an oval with $\tanh$ | a **pointwise operation**, element by element, with nothing learnt |
# | a line with an arrow | a **vector** carried from one place to another |
# | two lines that merge | **concatenation**: the vectors placed side by side, as $[h_{t-1}, x_t]$ |
# | a line that forks | a **copy**: the same vector goes both ways |
#
# In the LSTM diagrams from lesson 03 on, each layer has its own colour, and the cell state is the
# orange line across the top. Every work the course cites is listed in `docs/references.md` (the
# *References* page of the course website).

# %% [markdown] slideshow={"slide_type": "notes"}
# Stress that the unrolled picture is not a deeper network with different weights in each layer: it
# is one small network used T times. That is why an RNN can read sequences of any length, and also
# why (lesson 02) its gradients are multiplied by the same matrix over and over.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Inside one step
#
# Inside the module there is a single layer: a linear map of $[h_{t-1}, x_t]$ followed by $\tanh$.

# %%
ax = draw_rnn_cell()
plt.show()

# %% [markdown]
# We store the weights as (inputs, outputs) and put one sequence per row, so for a batch of $N$
# sequences the step reads
#
# $$h_t = \tanh\left(x_t W_{xh} + h_{t-1} W_{hh} + b_h\right),$$
#
# with $x_t$ of shape $(N, D)$, $h_{t-1}$ and $h_t$ of shape $(N, H)$, $W_{xh}$ of shape $(D, H)$,
# $W_{hh}$ of shape $(H, H)$ and $b_h$ of shape $(H,)$. The $\tanh$ keeps every entry of the hidden
# state between $-1$ and $1$. Let us do one step by hand on tiny sizes.

# %%
rng = np.random.default_rng(0)
N, D, H = 2, 3, 4
params = init_rnn_params(D, H, rng)  # W_xh (D, H), W_hh (H, H), b_h (H,)
x = rng.standard_normal((N, D))  # the input x_t of two sequences
h_prev = 0.5 * rng.standard_normal((N, H))  # their previous hidden states

h = np.tanh(x @ params.W_xh + h_prev @ params.W_hh + params.b_h)
print("shapes:", x.shape, "@", params.W_xh.shape, "+", h_prev.shape, "@", params.W_hh.shape, "->", h.shape)
print("h_t =\n", h)

h_pkg, cache = rnn_step_forward(x, h_prev, params)
gap_to_package = float(np.abs(h - h_pkg).max())
print("same as the package's rnn_step_forward:", gap_to_package < 1e-15)
assert gap_to_package < 1e-15, "one line of NumPy is the package's RNN step"

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise: the RNN step
#
# Write the step as a function. `x` is $(N, D)$, `h_prev` is $(N, H)$ and `params` has the fields
# `W_xh`, `W_hh` and `b_h`. Return `(h, cache)`: `h` is the new hidden state and `cache` keeps what a
# backward pass would need later (here the tuple `(x, h_prev, h, params)` is fine; only `h` is
# checked). The check runs several random cases and names the usual mistakes.

# %%
def rnn_step(x, h_prev, params):
    """One tanh RNN step: x (N, D), h_prev (N, H) -> (h (N, H), cache)."""
    ### BEGIN SOLUTION
    h = np.tanh(x @ params.W_xh + h_prev @ params.W_hh + params.b_h)
    return h, (x, h_prev, h, params)
    ### END SOLUTION


check_rnn_step_forward(rnn_step)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A sequence is the step in a loop
#
# To read a whole sequence $x_1, \dots, x_T$ we start from $h_0 = 0$ and apply the step $T$ times,
# always with the same weights. The package's `rnn_forward` does exactly this for an input of shape
# $(N, T, D)$ and returns every hidden state, shape $(N, T, H)$.

# %%
T = 5
xs = rng.standard_normal((N, T, D))
h_t = np.zeros((N, H))
for t in range(T):
    h_t, _ = rnn_step_forward(xs[:, t], h_t, params)  # the same params at every step

hs, _ = rnn_forward(xs, None, params)  # h0 = None means zeros
print("hidden states:", hs.shape)
print("the loop's last state equals rnn_forward's:", bool(np.allclose(h_t, hs[:, -1], rtol=0, atol=1e-15)))
assert np.allclose(h_t, hs[:, -1], rtol=0, atol=1e-15)

# %% [markdown]
# Because $h_t$ feeds the next step, the last state depends on *every* input, even the first one.
# We can see it: change only $x_1$ and compare the two final states.

# %%
xs_changed = xs.copy()
xs_changed[:, 0] += 1.0  # change the first input only
hs_changed, _ = rnn_forward(xs_changed, None, params)
effect = float(np.abs(hs_changed[:, -1] - hs[:, -1]).max())
print(f"largest change in h_T after changing x_1 only: {effect:.2e}")
assert effect > 1e-6, "the first input reaches the last state through the main line"

# %% [markdown]
# The effect is there, and already small after five steps; how small it gets after fifty is the
# story of lesson 02.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The task: delayed recall
#
# To measure memory we need a task where we control the gap exactly. In **delayed recall** each
# sequence starts with a *cue*, one of 8 tokens (think "France"); then come `gap` distractor tokens
# that carry no information; the last token is a *query* ("I speak fluent …"). At the query the model
# must name the cue. Tokens are one-hot vectors, so $D$ = 8 cues + 4 distractors + 1 query = 13, and
# $T$ = gap + 2. Guessing gives an accuracy of $1/8$.

# %%
x_short, y_short = delayed_recall(4, gap=2, rng=rng)  # as_words (from lstm_course.tasks) prints them
x_long, y_long = delayed_recall(1, gap=30, rng=rng)
print("gap 2, x of shape", x_short.shape)
for seq, answer in zip(x_short, y_short):
    print("   ", as_words(seq), "  answer:", f"c{answer}")
print("gap 30, x of shape", x_long.shape)
print("   ", as_words(x_long[0]), "  answer:", f"c{y_long[0]}")
n_classes = 8
D_task = delayed_recall_query_index(n_classes) + 1
assert D_task == n_classes + DEFAULT_N_DISTRACTORS + 1 == 13

# %% [markdown]
# The short version is our "clouds … sky": the clue sits before the two distractors, three steps
# back from the question. The long version is "France … French": the clue is thirty-one steps back,
# and the thirty distractors in between say nothing about it.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Training an RNN on a gap of 2
#
# The model is the RNN followed by a linear read-out of its last hidden state, $y = h_T W_{out} +
# b_{out}$, one score per cue. We train it with the softmax cross-entropy loss and the Adam optimizer,
# drawing a fresh batch of 32 sequences at every step, and clip the gradient norm at 1 (lesson 02
# says why). The package's `train_on_gap` puts the pieces together (`init_sequence_model`,
# `make_loss_fn`, `train`); lesson 10 uses it too. Afterwards it scores the model on 1,000 sequences
# it has never seen.

# %%
RECIPE = dict(H=32, batch_size=32, lr=3e-3, clip=1.0, steps=300, target_accuracy=None, eval_size=1000)

short = train_on_gap("rnn", gap=2, seed=0, **RECIPE)  # every one of the 300 steps, then 1,000 new sequences
history_short, acc_short = short.history, short.accuracy
print(f"gap 2: accuracy on 1,000 new sequences = {acc_short:.3f} (chance {1 / n_classes:.3f})")
assert acc_short >= 0.95, "an RNN learns to bridge a gap of 2"

# %% [markdown]
# The RNN has learnt to keep the cue on its main line for two steps and to read it out at the query.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## And a long gap?
#
# Same model, same optimizer, same 300 steps; only the gap changes, from 2 to 30. One training run
# depends on its random seed (the initial weights and the batches), so we try three.

# %%
long_runs = {seed: train_on_gap("rnn", gap=30, seed=seed, **RECIPE) for seed in (0, 1, 2)}
acc_long = np.array([run.accuracy for run in long_runs.values()])
for seed, acc in zip(long_runs, acc_long):
    print(f"gap 30, seed {seed}: accuracy on 1,000 new sequences = {acc:.3f}")
assert (acc_long >= 0.95).sum() <= 1 and acc_long.min() < 0.2, "at gap 30 most runs only guess"

fig, axes = plt.subplots(1, 2, figsize=(9, 3))
curves = {"gap 2, seed 0": history_short.as_dict()}
curves.update({f"gap 30, seed {seed}": run.history.as_dict() for seed, run in long_runs.items()})
plot_training_curves(curves, key="loss", ax=axes[0], smooth=10)
plot_training_curves(curves, key="accuracy", ax=axes[1], smooth=10)
axes[0].axhline(np.log(n_classes), color="#777777", ls="--", lw=1)
axes[1].axhline(1 / n_classes, color="#777777", ls="--", lw=1)
axes[0].set_title("training loss (dashed: a uniform guess)", fontsize=10)
axes[1].set_title("batch accuracy (dashed: chance)", fontsize=10)
axes[0].legend(frameon=False, fontsize=8)
axes[1].legend(frameon=False, fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# Every loss starts at $\ln 8 \approx 2.08$, the loss of a uniform guess over 8 cues. At gap 2 it
# falls within a few dozen steps. At gap 30 the runs stay at that level for all 300 steps: the
# model never finds the cue and guesses.
#
# So be careful with what this shows. It does **not** show that an RNN *cannot* hold a cue for 30
# steps: the weights that do it exist, and with other seeds or more steps training can find them
# (lesson 10 gives an RNN a larger budget). What it shows is that the recipe that solved the short gap quickly and every time
# becomes slow and unreliable on the long one. Lesson 02 measures this over many gaps and seeds, and
# measures *why*: the training signal, the gradient, as it travels back along the main line.

# %% [markdown] slideshow={"slide_type": "notes"}
# A good question to ask the room: the network and its weights are the same for every gap, and a
# forward pass over 32 steps is no harder to compute than over 4. So what exactly changes when the
# gap grows? Collect guesses ("it forgets", "the signal gets lost", "too many distractors") and keep them for lesson 02,
# which turns them into a measurement.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - An RNN reads a sequence one step at a time with one module and one set of weights; unrolled in
#   time it is a chain of identical copies joined by the hidden state, its main line.
# - One step is one line of NumPy: $h_t = \tanh(x_t W_{xh} + h_{t-1} W_{hh} + b_h)$; a sequence is
#   that step in a loop (`rnn_step_forward`, `rnn_forward`).
# - Delayed recall puts a cue a chosen number of steps (the gap) before the question; chance is 1/8.
# - Trained for 300 Adam steps, an RNN bridges a gap of 2 (accuracy at least 0.95 on new sequences,
#   asserted above). At a gap of 30 the same recipe mostly fails: of three seeds, at most one learns
#   the task. Why long gaps are hard is lesson 02.
#
# [Next: 02 · Why plain RNNs forget →](02_why_rnns_forget.ipynb)
