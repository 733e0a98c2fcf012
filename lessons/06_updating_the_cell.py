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
# # 06 · Updating the cell
#
# Lessons 04 and 05 decided what to forget and what to write. This lesson carries out those
# decisions: the old cell state $c_{t-1}$ becomes the new one, $c_t$, in a single line.
#
# **Goals**
#
# - Know the cell update $c_t = f_t \odot c_{t-1} + i_t \odot \tilde c_t$ and what each of its two
#   terms does.
# - Follow it step by step, with numbers, through a whole sentence: forget the old subject's
#   gender, write the new one, keep the rest.
# - See the four things one update can do (keep, erase, overwrite, accumulate), and how fast the
#   cell state can grow.
# - Exercise: write the cell update.
#
# **Prerequisites:** [05 · The input gate and the candidate](05_input_gate_and_candidate.ipynb)
# and [04 · The forget gate](04_the_forget_gate.ipynb).

# %%
import numpy as np
import matplotlib.pyplot as plt
%config InlineBackend.figure_format = "png"
plt.rcParams["figure.dpi"] = 72  # small stored figures

from lstm_course.checks import check_cell_update
from lstm_course.diagrams import draw_lstm_cell
from lstm_course.lstm import LSTMParams, init_lstm_params, lstm_forward, lstm_step_forward
from lstm_course.tasks import one_hot

np.set_printoptions(precision=3, suppress=True)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## One line
#
# $$c_t = \underbrace{f_t \odot c_{t-1}}_{\text{what we keep}} + \underbrace{i_t \odot \tilde c_t}_{\text{what we write}}$$
#
# Multiply the old state by the forget gate, unit by unit, which drops what we decided to forget.
# Then add the candidate, scaled by the input gate, which writes what we decided to write. These
# are the only two operations on the memory lane: one $\times$ and one $+$ on the orange line. No
# weight matrix and no squashing function touches $c$ on its way from one step to the next.

# %%
fig, ax = plt.subplots(figsize=(7, 4.2))
draw_lstm_cell(ax=ax, highlight="cell_update")
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Step by step through a sentence
#
# We join the hand-set layers of lessons 04 and 05 into one cell with two units and read the
# sentence *"Alice was tired and then Bob was"*:
#
# - unit 0, **gender** of the subject ($+$ feminine, $-$ masculine): a name wipes it (forget gate
#   near 0) and writes its own gender (input gate near 1, candidate $\pm 0.995$);
# - unit 1, **tense** ($+$ past): the word "was" writes $+0.995$ into it; nothing ever wipes it.
#
# Every other gate value is the default: forget gate $\sigma(6) \approx 0.998$ (keep) and input gate
# $\sigma(-6) \approx 0.002$ (do not write). The output gate plays no part in the update.

# %%
VOCAB = ["Alice", "Bob", "was", "tired", "and", "then"]
UNITS = ["gender", "tense"]
D, H = len(VOCAB), len(UNITS)
GENDER, TENSE = 0, 1
w = {word: k for k, word in enumerate(VOCAB)}

W_xf, W_xi, W_xg = np.zeros((D, H)), np.zeros((D, H)), np.zeros((D, H))
W_xf[[w["Alice"], w["Bob"]], GENDER] = -12.0  # a name wipes the gender ...
W_xi[[w["Alice"], w["Bob"]], GENDER] = 12.0  # ... and writes a new one,
W_xg[w["Alice"], GENDER], W_xg[w["Bob"], GENDER] = 3.0, -3.0  # with its sign
W_xi[w["was"], TENSE], W_xg[w["was"], TENSE] = 12.0, 3.0  # "was" writes "past"
zeros_x, zeros_h, zeros_b = np.zeros((D, H)), np.zeros((H, H)), np.zeros(H)
params = LSTMParams(W_xi=W_xi, W_hi=zeros_h, b_i=np.full(H, -6.0),
                    W_xf=W_xf, W_hf=zeros_h, b_f=np.full(H, 6.0),
                    W_xg=W_xg, W_hg=zeros_h, b_g=zeros_b,
                    W_xo=zeros_x, W_ho=zeros_h, b_o=zeros_b)

sentence = ["Alice", "was", "tired", "and", "then", "Bob", "was"]
x = one_hot(sentence, VOCAB)  # (1, T, D): one row per word, a 1 at the word's index

# %% [markdown]
# We run the sentence through the package's `lstm_forward`, one step per word, and read every gate
# back from its cache. For each word and each unit the table shows the old cell state, the three
# values that act on it, the two terms of the update, and the result.

# %%
h, c, cache = lstm_forward(x, None, None, params)
i_all, f_all, g_all = cache.i[:, 0], cache.f[:, 0], cache.g[:, 0]  # (T, H) each: the gates by name
c_prev_all = cache.c_prev[:, 0]  # (T, H): c_{t-1} at each step

print(f"{'word':>6} {'unit':>7} | {'c_prev':>7} {'f':>6} {'i':>6} {'g':>7} | "
      f"{'f*c_prev':>8} {'i*g':>7} | {'c':>7}")
for t, word in enumerate(sentence):
    for u, unit in enumerate(UNITS):
        cp, f, i, g = c_prev_all[t, u], f_all[t, u], i_all[t, u], g_all[t, u]
        print(f"{word if u == 0 else '':>6} {unit:>7} | {cp:+7.3f} {f:6.3f} {i:6.3f} {g:+7.3f} | "
              f"{f * cp:+8.3f} {i * g:+7.3f} | {c[0, t, u]:+7.3f}")

# the table's two terms add up to the package's cell state at every step
assert np.abs(f_all * c_prev_all + i_all * g_all - c[0]).max() < 1e-15

# %% [markdown]
# Read the gender rows from the top. "Alice" finds an empty unit, forgets nothing worth keeping
# and writes $+0.993$. Through "was tired and then" the unit is kept: each step multiplies it by
# 0.998 and adds nothing. At "Bob" both terms change at once: $f \cdot c_{t-1}$ is $0.002$ (the
# old gender erased) and $i \cdot \tilde c$ is $-0.993$ (the new one written). The tense unit is
# written by the first "was" and then only kept.

# %%
t_bob = sentence.index("Bob")
c_gender = c[0, :, GENDER]
print(f"gender before 'Bob': {c_gender[t_bob - 1]:+.3f}, after: {c_gender[t_bob]:+.3f}")
print(f"tense after the first 'was': {c[0, 1, TENSE]:+.3f}, just before the second: "
      f"{c[0, t_bob, TENSE]:+.3f}, after it: {c[0, -1, TENSE]:+.3f}")
assert c_gender[t_bob - 1] > 0.95 and c_gender[t_bob] < -0.95, "the gender is replaced at 'Bob'"
assert abs(f_all[t_bob, GENDER] * c_prev_all[t_bob, GENDER]) < 0.01, "by erasing the old value ..."
assert i_all[t_bob, GENDER] * g_all[t_bob, GENDER] < -0.95, "... and writing the new one"
assert c[0, t_bob, TENSE] > 0.95, "the tense is kept across the new subject"
assert c[0, -1, TENSE] > 1.9, "a second write without forgetting adds to the first"

# %% [markdown]
# The last line of the table holds a surprise: the second "was" writes $+0.993$ into the tense
# unit again, and since nothing erased the first one, the two add up to $1.97$. The cell state is
# not a value in $[-1, 1]$: each update *adds* what it writes. To replace a value, the forget gate
# has to clear it first, as it did for the gender. For a unit that counts, adding is exactly right.

# %%
fig, ax = plt.subplots(figsize=(6, 3))
steps = np.arange(len(sentence))
for u, (unit, color) in enumerate(zip(UNITS, ("#D55E00", "#0072B2"))):
    ax.step(steps, c[0, :, u], where="mid", color=color, lw=2, marker="o", label=f"unit {u}: {unit}")
ax.axhline(0, color="#999999", lw=0.8)
ax.set_xticks(steps, sentence)
ax.set_xlabel("word read at step t")
ax.set_ylabel("cell state $c_t$")
ax.legend(frameon=False, loc="lower left")
ax.grid(alpha=0.3)
ax.set_title("The memory lane through the sentence")
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Four things one update can do
#
# The gates are numbers between 0 and 1, but the extremes are worth naming. Take one unit holding
# $c_{t-1} = 0.8$ and a candidate $\tilde c_t = -0.5$:

# %%
c_prev_demo, g_demo = 0.8, -0.5
cases = {"keep": (1.0, 0.0), "erase": (0.0, 0.0), "overwrite": (0.0, 1.0), "accumulate": (1.0, 1.0)}
results = {}
for name, (f, i) in cases.items():
    results[name] = f * c_prev_demo + i * g_demo
    print(f"{name:>10}: f = {f:.0f}, i = {i:.0f}  ->  c = {f:.0f} * {c_prev_demo} + {i:.0f} * ({g_demo})"
          f" = {results[name]:+.1f}")
expected = {"keep": c_prev_demo, "erase": 0.0, "overwrite": g_demo, "accumulate": c_prev_demo + g_demo}


def one_unit_lstm(f_bias, i_bias, g_value):
    """An LSTM of one unit whose weights are zero: its gates are sigmoid(bias), its candidate g_value."""
    zeros = {}
    for k in "ifgo":
        zeros.update({f"W_x{k}": np.zeros((1, 1)), f"W_h{k}": np.zeros((1, 1)), f"b_{k}": np.zeros(1)})
    return LSTMParams(**{**zeros, "b_f": np.array([f_bias]), "b_i": np.array([i_bias]),
                         "b_g": np.array([np.arctanh(g_value)])})


# the same four corners through the package's LSTM step: a bias of +40 or -40 pins a gate at 1 or 0
# (to within 1e-17)
for name, (f, i) in cases.items():
    p1 = one_unit_lstm(40.0 if f else -40.0, 40.0 if i else -40.0, g_demo)
    _, c_step, _ = lstm_step_forward(np.zeros((1, 1)), np.zeros((1, 1)), np.array([[c_prev_demo]]), p1)
    assert abs(c_step[0, 0] - expected[name]) < 1e-12, f"{name}: lstm_step_forward gives {c_step[0, 0]}"
print("lstm_step_forward agrees on all four corners")

# %% [markdown]
# Real gates sit between these corners, so most updates are a blend: keep most of the old value,
# add a little of the new. Because the forget gate and the input gate are separate layers, the
# LSTM can choose any of the four independently for every unit at every step.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## How fast can the cell grow?
#
# Since $0 < f_t < 1$, $0 < i_t < 1$ and $|\tilde c_t| < 1$, one update gives
# $|c_t| \le f_t |c_{t-1}| + i_t |\tilde c_t| < |c_{t-1}| + 1$: the cell state can grow by less
# than 1 per step, and after $t$ steps $|c_t| < |c_0| + t$. It has no ceiling beyond that. We
# check the bound on a random LSTM with a large forget bias, fed a constant input for 200 steps.

# %%
rng = np.random.default_rng(0)
random_params = init_lstm_params(3, 8, rng, forget_bias=5.0)
x_const = np.tile(rng.standard_normal((1, 1, 3)), (1, 200, 1))  # the same input at every step
_, c_long, _ = lstm_forward(x_const, None, None, random_params)
growth = np.abs(c_long[0]).max(axis=1)  # (T,): the largest |c_t| over the units
steps_taken = np.arange(1, 201)
print(f"largest |c_t| after 10, 50, 200 steps: {growth[9]:.2f}, {growth[49]:.2f}, {growth[199]:.2f}")
assert growth[199] > 2.0, "the cell does leave [-1, 1]"
# the bound is tight: with both gates wide open and a candidate of almost 1, the cell gains almost 1
# at every step
_, c_open, _ = lstm_forward(np.zeros((1, 200, 1)), None, None, one_unit_lstm(40.0, 40.0, 1 - 1e-9))
print(f"gates open, candidate 1: c after 200 steps = {c_open[0, -1, 0]:.6f}")
assert np.all(growth < steps_taken) and abs(c_open[0, -1, 0] - 200) < 1e-6, "|c_t| < t, and t is reached"

# %% [markdown]
# Two consequences for the next lessons. The hidden state is computed from a cell that may be
# well outside $[-1, 1]$, which is why lesson 07 squashes it with a tanh first. And along the cell
# path the derivative is simply $\partial c_t / \partial c_{t-1} = f_t$ (lesson 03): the update
# that carries information forward also carries gradients back, scaled only by the forget gates.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise: the cell update
#
# Write the update for a batch: `f`, `i`, `g` (the candidate) and `c_prev` are all $(N, H)$
# arrays; return the new cell state `c`, $(N, H)$. Everything here is element by element.

# %%
def cell_update(f, i, g, c_prev):
    """The new cell state c_t = f_t * c_{t-1} + i_t * g_t; all arrays (N, H)."""
    ### BEGIN SOLUTION
    return f * c_prev + i * g
    ### END SOLUTION


check_cell_update(cell_update)

# %% [markdown]
# The package computes exactly this inside every LSTM step. A random step of `lstm_step_forward`
# and its cache confirm it:

# %%
x_step = rng.standard_normal((4, 3))
h_prev, c_prev = rng.standard_normal((4, 8)), rng.standard_normal((4, 8))
_, c_new, step = lstm_step_forward(x_step, h_prev, c_prev, random_params)
assert np.abs(step.f * step.c_prev + step.i * step.g - c_new).max() < 1e-15
print("lstm_step_forward's cell state is f * c_prev + i * g:", True)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - The cell update is one line: $c_t = f_t \odot c_{t-1} + i_t \odot \tilde c_t$. The forget
#   gate scales what is kept; the input gate scales what is written; they act independently on
#   every unit.
# - In the sentence "Alice was tired and then Bob was", the gender unit went from $+0.98$ to
#   $-0.99$ at "Bob" (erased, then rewritten) while the tense unit was kept, and a second "was"
#   added to the first ($1.97$).
# - Keep, erase, overwrite and accumulate are the corners of what one update can do.
# - The cell state grows by less than 1 per step but has no ceiling; the next lesson squashes it
#   before showing it.
#
# [← Previous: 05 · The input gate and the candidate](05_input_gate_and_candidate.ipynb) ·
# [Next: 07 · The output gate →](07_the_output_gate.ipynb)
