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
# # 03 · The cell state
#
# Lesson 02 ended with a diagnosis: in a plain RNN everything from the past must travel along one
# main line, and every step back multiplies the gradient by a matrix and a squashing slope, so over
# long gaps it vanishes. The LSTM (Hochreiter & Schmidhuber 1997) keeps that main line and adds a
# second one beside it, the **cell state**, built so that information and gradients can run along it
# almost untouched. This lesson is about that second line, before we open up the gates that control
# it in lessons 04 to 07.
#
# **Goals**
#
# - See the cell state as a "memory lane" running beside the RNN's single main line.
# - Show, and measure, that along the cell state $\partial c_T / \partial c_t$ is simply the product
#   of one factor per step, each between 0 and 1.
# - Compute how fast such a product shrinks over 100 steps.
# - Say what the cell state adds, what it does not fix, and where the idea came from (the constant
#   error carousel of Hochreiter & Schmidhuber 1997).
# - Exercise: the product of the factors.
#
# **Prerequisites:** [02 · Why plain RNNs forget](02_why_rnns_forget.ipynb): backpropagation through
# time, and why a product of many Jacobians vanishes or explodes.

# %%
import numpy as np
import matplotlib.pyplot as plt
%config InlineBackend.figure_format = "png"
plt.rcParams["figure.dpi"] = 72  # small stored figures

import dataclasses

from lstm_course.activations import sigmoid
from lstm_course.analysis import cell_path_gradient, forget_gate_product
from lstm_course.checks import check_forget_product
from lstm_course.diagrams import draw_lstm_cell, draw_memory_lanes
from lstm_course.lstm import init_lstm_params, lstm_forward, lstm_step_forward
from lstm_course.plots import PALETTE
from lstm_course.tasks import delayed_recall

np.set_printoptions(precision=3, suppress=True)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A main line and a memory lane
#
# Top: a plain RNN. Its hidden state $h_t$ is its only connection between steps, and each step
# rewrites it completely through a layer and a $\tanh$. Bottom: an LSTM. It still has a hidden state
# $h_t$ (the main line), and beside it runs the cell state $c_t$, the **memory lane**.

# %%
ax = draw_memory_lanes(steps=3)
plt.show()

# %% [markdown]
# Picture the memory lane as a conveyor belt running straight through every step (the picture is
# Olah's, 2015, like the notes' diagrams). The step does not
# rebuild what is on the belt; it only touches it in two light ways: it *scales* it, elementwise, by
# a number between 0 and 1 (how much to keep), and it *adds* new content. Whatever the step leaves
# alone travels on to the next step as it is, so something placed on the belt early can still be
# there many steps later. That is the whole idea of the LSTM; the rest is deciding what to keep, what
# to add and what to show.

# %% [markdown] slideshow={"slide_type": "notes"}
# A useful contrast for the room: the RNN's step is $h_t = \tanh(\ldots h_{t-1} W_{hh} \ldots)$, a
# full matrix multiplication and a squashing of the whole state, at every step. The LSTM's lane
# update has no matrix multiplication of $c_{t-1}$ at all and no squashing; the matrices are all in
# the *gates*, which only decide the two elementwise factors.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The cell state inside the LSTM cell
#
# Here is the full LSTM cell, with the cell-state line highlighted. We will take the four layers
# underneath one at a time in the next lessons; for now only their effect on the lane matters.

# %%
ax = draw_lstm_cell(highlight="cell_state")
plt.show()

# %% [markdown]
# Along the top line one step does
#
# $$c_t = f_t \odot c_{t-1} + i_t \odot \tilde c_t ,$$
#
# where $f_t$ is a factor in $(0, 1)$ for every unit, computed afresh at each step by a small layer
# called the **forget gate** (lesson 04 builds it; here only its values matter); $i_t \odot
# \tilde c_t$ is the new content (lesson 05), and $\odot$ is elementwise multiplication. Nothing
# else ever happens to $c_{t-1}$ on its way to $c_t$.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The gradient along the lane is a product of forget gates
#
# Differentiate the lane update with respect to $c_{t-1}$ while holding the gates fixed:
#
# $$\frac{\partial c_t}{\partial c_{t-1}}\bigg|_{\text{lane}} = \operatorname{diag}(f_t),
# \qquad\text{so}\qquad
# \frac{\partial c_T}{\partial c_{T-k}}\bigg|_{\text{lane}} = \operatorname{diag}\left(f_T \odot
# f_{T-1} \odot \cdots \odot f_{T-k+1}\right).$$
#
# Compare the RNN's step Jacobian from lesson 02, $\operatorname{diag}(1 - h_t^2)\, W_{hh}^\top$:
# here there is no weight matrix and no squashing slope, only one number per unit and step, each
# between 0 and 1, which the network itself controls. If the forget gates stay near 1, the product
# stays near 1, however long the gap.
#
# Let us check this on a small LSTM. The step cache of `lstm_step_forward` keeps each step's forget
# gate; `analysis.cell_path_gradient` backpropagates along the lane with the package's
# `lstm_step_backward`, keeping only the gradient that stays on the lane.

# %%
rng = np.random.default_rng(0)
D, H, T, N = 13, 8, 20, 4
params = init_lstm_params(D, H, rng, forget_bias=1.0)
x, _ = delayed_recall(N, gap=T - 2, rng=rng)  # (N, T, D)

h, c = np.zeros((N, H)), np.zeros((N, H))
forget_gates = []
for t in range(T):
    h, c, cache = lstm_step_forward(x[:, t], h, c, params)
    forget_gates.append(cache.f)  # f_t, shape (N, H)
f = np.stack(forget_gates)  # (T, N, H): time first

lane = cell_path_gradient(params, x)  # (N, T + 1, H), indexed by lag k
gap_to_product = float(np.abs(lane[:, T] - np.prod(f, axis=0)).max())
print("forget gates of sequence 0, unit 0, over the first 8 steps:", f[:8, 0, 0])
print(f"dc_T/dc_0 along the lane, sequence 0, unit 0: {lane[0, T, 0]:.3e}")
print(f"product of its forget gates:                  {np.prod(f[:, 0, 0]):.3e}")
print("backprop along the lane equals the product of forget gates:", gap_to_product < 1e-15)
assert gap_to_product < 1e-15

# %% [markdown]
# That was backpropagation; we can also watch the lane forward. Take an LSTM whose gates do not look
# at $h$ (all the $W_{h\cdot}$ set to zero), so the lane is the *only* road from $c_0$ to $c_T$.
# Nudge $c_0$ by a tiny $\varepsilon$ and see how much $c_T$ moves.

# %%
no_h = dataclasses.replace(params, **{f"W_h{g}": np.zeros((H, H)) for g in "ifgo"})
c0 = rng.standard_normal((N, H))
eps = 1e-6
_, c_plain, _ = lstm_forward(x, None, c0, no_h)
_, c_nudged, _ = lstm_forward(x, None, c0 + eps, no_h)
moved = (c_nudged[:, -1] - c_plain[:, -1]) / eps  # measured dc_T/dc_0, unit by unit
predicted = cell_path_gradient(no_h, x, c0=c0)[:, T]  # product of this model's forget gates
rel = float(np.abs(moved - predicted).max() / np.abs(predicted).max())
print(f"c_T moved by {moved[0, 0]:.3e} x epsilon; the product of forget gates predicts {predicted[0, 0]:.3e}")
assert rel < 1e-6, "along the lane, a change in c_0 reaches c_T scaled by the product of forget gates"

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise: the product of the forget gates
#
# Given the forget gates of $T$ steps as an array `f` of shape $(T, N, H)$ (time first, as above),
# return $\partial c_T / \partial c_0$ along the lane: one number per sequence and unit, shape
# $(N, H)$.

# %%
def forget_product(f):
    """dc_T/dc_0 along the cell state: f (T, N, H) -> (N, H)."""
    ### BEGIN SOLUTION
    return np.prod(f, axis=0)
    ### END SOLUTION


check_forget_product(forget_product)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A hundred steps
#
# How fast does such a product shrink? Suppose the factor sat at the same value for 100 steps. Three
# values: 0.5, 0.73 and 0.95. (They are $\sigma(0)$, $\sigma(1)$ and $\sigma(3)$, the sigmoid of
# 0, 1 and 3; lesson 04 shows why an untrained forget gate starts near such values.)

# %%
biases = np.array([0.0, 1.0, 3.0])
gates = sigmoid(biases)
after_100 = {b: float(forget_gate_product(np.full((100, 1, 1), g))[0, 0]) for b, g in zip(biases, gates)}
for b, g in zip(biases, gates):
    print(f"f = sigma({b:.0f}) = {g:.3f}:  f^100 = {after_100[b]:.1e}")
assert abs(after_100[1.0] / 2.5e-14 - 1) < 0.05, "sigma(1)^100 is about 2.5e-14"
assert after_100[0.0] < 1e-30 and after_100[3.0] > 5e-3

# %%
steps = np.arange(101)
fig, ax = plt.subplots(figsize=(6, 3))
for k, (b, g) in enumerate(zip(biases, gates)):
    ax.semilogy(steps, g ** steps, color=PALETTE[k], lw=1.8, label=f"f = $\\sigma({b:.0f})$ = {g:.2f}")
ax.set_xlabel("steps along the lane")
ax.set_ylabel("product of forget gates")
ax.set_ylim(1e-31, 2)
ax.grid(alpha=0.3)
ax.legend(frameon=False)
plt.show()

# %% [markdown]
# With $f = 0.5$ the lane halves whatever it carries at every step: after 100 steps,
# $10^{-30}$, no better than a plain RNN. With $f = 0.73$ it is $2.5 \cdot 10^{-14}$. With
# $f = 0.95$ almost a hundredth survives. A lane is only as good as its factors: they must stay
# close to 1 for anything to cross a long gap. The difference from the RNN is that these factors
# are one number per unit, with no weight matrix in between, and the network sets them itself.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Where the idea comes from
#
# The lane is the LSTM's founding idea. The cell of Hochreiter & Schmidhuber (1997) carried its
# content from step to step with a fixed factor of exactly 1, so that an error signal could circulate
# along it unchanged for as long as needed; they called it the **constant error carousel**. Such a
# lane never loses a gradient, but it cannot drop stale content either. Gers, Schmidhuber & Cummins
# (2000) replaced the fixed 1 by a learnt factor, the forget gate, which lets the cell reset itself;
# the price is that the factor can now be small. Lesson 04 builds that gate and looks at where it
# starts.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What the cell state does not fix
#
# The lane adds a road on which information and gradients can survive. It does not repair the other
# road, and it does not make every gradient well-behaved:
#
# - **The main line is still there.** The gates read $h_{t-1}$, so a gradient can also leave the
#   lane, run along the hidden states, and come back; the route through the hidden states alone
#   still vanishes as in lesson 02. Lesson 09 measures the whole gradient route by route.
# - **Along the lane, factors below 1 still shrink the gradient**, only slowly; over a long enough
#   gap even $0.95^k$ becomes small.
# - **Nothing here prevents exploding gradients.** LSTMs are trained with gradient clipping too
#   (lesson 02; Pascanu, Mikolov & Bengio 2013); every run in this course clips at 1.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - The LSTM keeps the RNN's main line $h_t$ and adds a memory lane, the cell state
#   $c_t = f_t \odot c_{t-1} + i_t \odot \tilde c_t$, touched only by an elementwise scaling and an
#   addition.
# - Along the lane, $\partial c_T / \partial c_{T-k}$ is the product of the forget gates
#   $f_T \odot \cdots \odot f_{T-k+1}$: checked by backpropagation and by nudging $c_0$.
# - Over 100 steps that product is $8 \cdot 10^{-31}$ for $f = 0.5$, $2.5 \cdot 10^{-14}$ for
#   $f = 0.73$ and about $8 \cdot 10^{-3}$ for $f = 0.95$: the factors must stay near 1.
# - The lane is the constant error carousel of Hochreiter & Schmidhuber (1997), with the fixed
#   factor 1 made learnable by the forget gate (Gers et al. 2000).
# - Limits: the main line is still there and still vanishes, factors below 1 still shrink the lane's
#   gradient, and nothing here stops explosions: clip.
#
# [← Previous: 02 · Why plain RNNs forget](02_why_rnns_forget.ipynb) ·
# [Next: 04 · The forget gate →](04_the_forget_gate.ipynb)
