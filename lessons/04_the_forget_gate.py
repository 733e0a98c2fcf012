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
# # 04 · The forget gate
#
# The cell state of lesson 03 is a memory lane that runs through every step. Something has to
# decide, at each step, what on that lane is still worth carrying. In an LSTM that is the first
# of the four layers: the forget gate.
#
# **Goals**
#
# - Know what the forget gate computes: a sigmoid layer that reads $h_{t-1}$ and $x_t$ and gives
#   one number between 0 and 1 for each unit of the cell state.
# - Read those numbers: 1 keeps a unit as it is, 0 wipes it, anything between keeps a fraction.
# - Follow a worked example with weights set by hand: a new subject in a sentence erases the old
#   subject's gender from the cell and leaves everything else alone (an example from Olah 2015).
# - See why the gate's bias decides how much an untrained cell keeps.
# - Exercise: write the forget gate.
#
# **Prerequisites:** [03 · The cell state](03_the_cell_state.ipynb) (the memory lane, and why its
# factors must stay near 1); NumPy matrix products.

# %%
import numpy as np
import matplotlib.pyplot as plt
%config InlineBackend.figure_format = "png"
plt.rcParams["figure.dpi"] = 72  # small stored figures

from lstm_course.activations import sigmoid
from lstm_course.checks import check_forget_gate
from lstm_course.diagrams import GATE_COLORS, draw_lstm_cell
from lstm_course.lstm import LSTMParams, init_lstm_params, lstm_forward, lstm_step_forward
from lstm_course.tasks import delayed_recall, one_hot

np.set_printoptions(precision=3, suppress=True)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A sigmoid layer on $[h_{t-1}, x_t]$
#
# The forget gate is a small neural network layer of its own. It looks at the same two things
# every layer of the cell looks at, the previous hidden state $h_{t-1}$ and the new input $x_t$,
# and squashes the result with a sigmoid:
#
# $$f_t = \sigma(x_t W_{xf} + h_{t-1} W_{hf} + b_f)$$
#
# With $D$ inputs and $H$ units, $W_{xf}$ is $(D, H)$, $W_{hf}$ is $(H, H)$ and $b_f$ has $H$
# entries, so $f_t$ has one entry per unit of the cell state. The diagram writes the same thing as
# $W_f\,[h_{t-1}, x_t]$: one matrix applied to the two vectors stacked.
#
# Then $f_t$ multiplies the old cell state, unit by unit: $f_t \odot c_{t-1}$. That product is the
# first of the two operations on the memory lane: the black $\times$ on the line from $c_{t-1}$ to
# $c_t$ along the top of the diagram below (that line is orange in lesson 03; here it is grey,
# because only the forget gate's part of the cell is in colour).

# %%
fig, ax = plt.subplots(figsize=(7, 4.2))
draw_lstm_cell(ax=ax, highlight="forget")
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1 keeps, 0 erases
#
# A sigmoid never leaves the interval $(0, 1)$, so the forget gate can only scale each unit of the
# cell down, never up and never flip its sign. Three units of an old cell state, three gate values:

# %%
c_old = np.array([0.8, -0.6, 0.5])
f_demo = sigmoid(np.array([6.0, 0.0, -6.0]))  # pre-activations: large, zero, very negative
print("forget gate f:   ", f_demo)
print("old cell c_prev: ", c_old)
print("kept f * c_prev: ", f_demo * c_old)

# The same through the package's LSTM: one step, all weights zero, forget biases (6, 0, -6), and
# the input gate shut (bias -40, so i * g adds about 1e-18): the new cell is what the gate kept.
shut = {}
for k in "ifgo":  # one input (D = 1), three units (H = 3)
    shut.update({f"W_x{k}": np.zeros((1, 3)), f"W_h{k}": np.zeros((3, 3)), f"b_{k}": np.zeros(3)})
shut.update(b_f=np.array([6.0, 0.0, -6.0]), b_i=np.full(3, -40.0))
_, c_new, _ = lstm_forward(np.zeros((1, 1, 1)), None, c_old[None], LSTMParams(**shut))
kept = c_new[0, -1]
print("c_t from lstm_forward:", kept)
assert np.allclose(kept, f_demo * c_old, rtol=0, atol=1e-15), "the lane's first operation is f * c_prev"
assert abs(kept[0] - c_old[0]) < 0.01 * abs(c_old[0]), "f close to 1 keeps the unit"
assert abs(kept[1] - 0.5 * c_old[1]) < 1e-12, "f = 0.5 keeps half"
assert abs(kept[2]) < 0.01 * abs(c_old[2]), "f close to 0 wipes the unit"

# %% [markdown]
# The first unit survives almost untouched, the second is halved, the third is gone. The gate
# does not read the cell state itself: it decides from $h_{t-1}$ and $x_t$ alone, one decision per
# unit. (Some LSTM variants let the gates look at the cell as well, with "peephole" connections,
# proposed by Gers & Schmidhuber (2000) and used for precise timing by Gers, Schraudolph &
# Schmidhuber (2002). The standard LSTM here does not.)
#
# The notes put the forget gate's job as deciding "whether the information from the previous
# state's output should be pushed to the memory lane, and to what extent". More precisely: the gate
# *reads* the previous output $h_{t-1}$ (with $x_t$) to make its decision, but what it scales is the
# cell state $c_{t-1}$ that is already on the lane. It pushes nothing onto the lane; adding new
# content is the input gate's job (lesson 05).

# %% [markdown] slideshow={"slide_type": "notes"}
# A common slip: reading 0 as "keep" because "forget = 0" sounds like "forget nothing". The gate
# is a *keep* factor: multiply by 1, keep everything. Gers et al. (2000), who added this gate to
# the LSTM, explain it as a way for the cell to reset itself.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A worked example: forgetting the old subject's gender
#
# Back to the language model of the notes. Suppose it has read *"Alice was tired"*. To pick the
# right pronoun later ("she" or "he"), it keeps the gender of the current subject in its cell
# state. Now comes *"and then Bob"*: a new subject, so the old gender should go.
#
# We build that by hand, with a cell of $H = 3$ units that mean something to us:
#
# | unit | what it holds | value now |
# |---|---|---|
# | 0 | gender of the subject: $+$ feminine, $-$ masculine | $+0.9$ (Alice) |
# | 1 | tense of the story: $+$ past | $+0.8$ |
# | 2 | topic: someone is tired | $+0.7$ |
#
# The inputs are words, one-hot over a five-word vocabulary. The rule we want: **a name (a new
# subject) wipes unit 0; nothing else is forgotten.** Two numbers do it. A bias of $+6$ on every
# unit keeps by default ($\sigma(6) \approx 0.998$), and a weight of $-12$ from each name to unit 0
# pulls that one unit down to $\sigma(6 - 12) = \sigma(-6) \approx 0.002$.

# %%
VOCAB = ["Alice", "Bob", "was", "and", "then"]
NAMES = ("Alice", "Bob")
UNITS = ["gender", "tense", "topic"]
D, H = len(VOCAB), len(UNITS)


W_xf = np.zeros((D, H))
for name in NAMES:
    W_xf[VOCAB.index(name), 0] = -12.0  # a name pulls the gender unit's gate towards 0
b_f = np.full(H, 6.0)  # by default every unit is kept

# %% [markdown]
# A whole LSTM cell has three more layers, the subject of the next lessons. Here we keep them out
# of the way so that only the forget gate changes the cell: the input gate gets a bias of $-30$,
# so it is closed ($\sigma(-30) \approx 10^{-13}$) and nothing new is written, and the output gate
# never touches the cell anyway. All recurrent weights $W_h$ are zero, so in this example the gates
# decide from the word alone. Then we run the package's `lstm_forward`, starting from the cell
# state above.

# %%
zeros_x, zeros_h, zeros_b = np.zeros((D, H)), np.zeros((H, H)), np.zeros(H)
params = LSTMParams(
    W_xi=zeros_x, W_hi=zeros_h, b_i=np.full(H, -30.0),  # input gate closed: lesson 05
    W_xf=W_xf, W_hf=zeros_h, b_f=b_f,  # the forget gate, set by hand
    W_xg=zeros_x, W_hg=zeros_h, b_g=zeros_b,  # candidate: lesson 05
    W_xo=zeros_x, W_ho=zeros_h, b_o=zeros_b,  # output gate: lesson 07
)

words = ["and", "then", "Bob"]
c_start = np.array([[0.9, 0.8, 0.7]])  # (N, H) = (1, 3): after "Alice was tired"
h_start = np.zeros((1, H))
h, c, cache = lstm_forward(one_hot(words, VOCAB), h_start, c_start, params)  # x: (1, T, D)
f = cache.f[:, 0]  # (T, H): the forget gate at each step, read from the cache by name


def row(label, f_values, c_values):
    """One line of the table: a word, its three gate values (or blanks), the three cell values."""
    f_text = " " * 24 if f_values is None else "".join(f"{v:8.3f}" for v in f_values)
    c_text = "".join(f"{v:8.3f}" for v in c_values)
    print(f"{label:>6} |{f_text} |{c_text}")


print(f"{'':>6} |{'forget gate f':^24} |{'cell state c':^24}")
print(f"{'word':>6} |{''.join(f'{u:>8}' for u in UNITS)} |{''.join(f'{u:>8}' for u in UNITS)}")
row("start", None, c_start[0])
for t, word in enumerate(words):
    row(word, f[t], c[0, t])

# %% [markdown]
# "and" and "then" are not subjects: the gate stays near 1 on every unit and the cell passes
# through almost unchanged (each step keeps $\sigma(6) = 99.75\,\%$). "Bob" is a name: the gate on
# unit 0 drops to about 0.002 and Alice's gender is gone, while the tense and the topic are kept.
# The claims, measured:

# %%
c_before, c_after = c[0, 1], c[0, 2]  # the cell before and after "Bob"
gender_left = float(abs(c_after[0]) / c_before[0])
others_kept = c_after[1:] / c_before[1:]
print(f"gender bit left after 'Bob': {gender_left:.4f} of its value")
print(f"tense and topic kept:        {float(others_kept.min()):.4f} of their value (the smaller)")
assert f[2, 0] < 0.01, "at a new subject the gate on the gender unit is near 0"
assert gender_left < 0.01, "the old subject's gender is erased"
assert np.all(others_kept > 0.99), "the other units are kept"
assert np.all(f[:2] > 0.99), "words that are not subjects keep everything"

# %%
fig, ax = plt.subplots(figsize=(6, 3))
positions = np.arange(H)
ax.bar(positions - 0.2, c_before, width=0.4, color=GATE_COLORS["cell_state"], label="before 'Bob'")
ax.bar(positions + 0.2, c_after, width=0.4, color=GATE_COLORS["forget"], label="after 'Bob'")
for k in positions:
    ax.text(k + 0.2, c_after[k] + 0.03, f"f = {f[2, k]:.3f}", ha="center", fontsize=9)
ax.set_xticks(positions, [f"unit {k}: {u}" for k, u in enumerate(UNITS)])
ax.set_ylabel("cell state")
ax.set_ylim(0, 1.25)
ax.legend(frameon=False, loc="upper right", ncol=2)
ax.set_title("A name wipes the gender unit and keeps the others")
plt.show()

# %% [markdown]
# Unit 0 is now empty, not "masculine". Writing Bob's gender into it is a different job, done by
# the input gate and the candidate in lesson 05. Forgetting and writing are separate decisions,
# made by separate layers.

# %% [markdown] slideshow={"slide_type": "slide"}
# ### What the example leaves out
#
# We chose every weight, so each unit has a meaning we can name. A trained LSTM learns its
# weights from data, and its units rarely line up with one human idea each; the mechanism is the
# same, the meaning is spread out. Also, in our example the gate only looked at the current word
# ($W_{hf} = 0$). A trained forget gate also reads $h_{t-1}$, so the same word can be forgotten
# in one context and kept in another.
#
# Forgetting also adds up over time. A gate a little below 1 at every step keeps the product
# $f_1 f_2 \cdots f_T$ of lesson 03, which decides how long anything survives on the memory lane.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The forget gate's bias
#
# Before training, the weights are small and random, so the gate's pre-activation
# $x_t W_{xf} + h_{t-1} W_{hf} + b_f$ stays close to its bias $b_f$, and the gate starts near
# $\sigma(b_f)$: 0.5 for a bias of 0, 0.73 for 1, 0.95 for 3, the three factors of lesson 03's
# hundred steps. We check it on untrained LSTMs of 64 units reading 16 random sequences of 50 steps.

# %%
x_check, _ = delayed_recall(16, gap=48, rng=np.random.default_rng(0))  # (16, 50, 13)
f_median = {}
for bias in (0.0, 1.0, 3.0):
    untrained = init_lstm_params(13, 64, np.random.default_rng(1), forget_bias=bias)
    h, c, f_seen = np.zeros((16, 64)), np.zeros((16, 64)), []
    for t in range(x_check.shape[1]):
        h, c, step = lstm_step_forward(x_check[:, t], h, c, untrained)
        f_seen.append(step.f)  # (16, 64): this step's forget gate
    f_seen = np.array(f_seen)
    f_median[bias] = float(np.median(f_seen))
    print(f"forget bias {bias:.0f}: sigma(bias) = {sigmoid(bias):.3f}; the gate over 50 steps: median "
          f"{f_median[bias]:.3f}, 5th to 95th percentile {np.percentile(f_seen, 5):.3f} to "
          f"{np.percentile(f_seen, 95):.3f}")
    assert abs(f_median[bias] - sigmoid(bias)) < 0.05, "an untrained gate starts near sigma(bias)"

# %% [markdown]
# So the bias decides which of lesson 03's worlds training *starts* in: with a bias of 0, half of
# the cell is lost at every step and almost nothing crosses a long gap; with a bias of 1 or 3, much
# more does. The network can move its gates later, but only if some signal from far back reaches it
# first (lessons 09 and 10 measure how much does).
#
# - Gers, Schmidhuber & Cummins (2000), who added the forget gate, already started its bias
#   positive, so that a new cell keeps by default.
# - Jozefowicz, Zaremba & Sutskever (2015) searched through thousands of recurrent architectures and
#   found that adding 1 to the LSTM's forget-gate bias at initialisation closes most of the gap between
#   the LSTM and the GRU, its best-known rival. Libraries disagree on the default: Keras adds 1 to the
#   forget bias, PyTorch starts every bias near 0. This package's `init_lstm_params` takes
#   `forget_bias` explicitly (default 1), and lesson 10 races LSTMs with biases 1 and 3.
# - A large bias is not free: a cell that keeps everything at first must *learn* to forget what no
#   longer matters, which is the gate's whole job.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise: the forget gate
#
# Write the forget gate for a batch. `x` is $(N, D)$, `h_prev` is $(N, H)$ and `params` is an
# `LSTMParams`; the weights you need are `params.W_xf` $(D, H)$, `params.W_hf` $(H, H)$ and
# `params.b_f` $(H,)$. Return `f` of shape $(N, H)$. `sigmoid` is imported above.

# %%
def forget_gate(x, h_prev, params):
    """The forget gate f_t: x (N, D), h_prev (N, H) -> f (N, H), values in (0, 1)."""
    ### BEGIN SOLUTION
    return sigmoid(x @ params.W_xf + h_prev @ params.W_hf + params.b_f)
    ### END SOLUTION


check_forget_gate(forget_gate)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - The forget gate is a sigmoid layer on $[h_{t-1}, x_t]$:
#   $f_t = \sigma(x_t W_{xf} + h_{t-1} W_{hf} + b_f)$, one value in $(0, 1)$ per unit of the cell.
# - It multiplies the old cell state unit by unit: 1 keeps, 0 erases, 0.5 keeps half. It can
#   shrink a unit, never grow it or flip its sign.
# - In the hand-built example a name drove the gate on the "gender" unit to 0.002, leaving less
#   than 1 % of Alice's gender, while the other units kept more than 99 % of their value.
# - Untrained, the gate sits near $\sigma(b_f)$: its bias decides how much of the cell survives a long
#   gap at the start of training, which is why it is started positive (Gers et al. 2000; Jozefowicz
#   et al. 2015).
# - Forgetting is one decision; writing something new is another. That is the next lesson.
#
# [← Previous: 03 · The cell state](03_the_cell_state.ipynb) ·
# [Next: 05 · The input gate and the candidate →](05_input_gate_and_candidate.ipynb)
