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
#   of the forget gates.
# - Compute how fast such a product shrinks over 100 steps, and why the forget gate's initial bias
#   decides it (Gers et al. 2000; Jozefowicz et al. 2015).
# - Measure the gradient 50 steps back in untrained RNNs and LSTMs, and state honestly what the cell
#   state does not fix.
# - Exercise: the product of the forget gates.
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
from lstm_course.analysis import cell_path_gradient, forget_gate_product, hidden_gradient_norms
from lstm_course.checks import check_forget_product
from lstm_course.diagrams import draw_lstm_cell, draw_memory_lanes
from lstm_course.lstm import init_lstm_params, lstm_forward, lstm_step_forward
from lstm_course.plots import PALETTE, plot_gradient_norms_vs_lag
from lstm_course.rnn import init_rnn_params
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
# Picture the memory lane as a conveyor belt running straight through every step. The step does not
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
# where $f_t$, the **forget gate**, is a sigmoid output in $(0, 1)$ for every unit; $i_t \odot
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
# How fast does such a product shrink? Suppose every forget gate sat at the same value for 100
# steps. A gate's value is $\sigma(a)$ of its pre-activation $a$; in an untrained network the weights
# are small, so $a$ stays close to the gate's bias $b_f$. Three choices of that bias:

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
# $10^{-30}$, no better than a plain RNN. With $f = \sigma(1) \approx 0.73$ it is $2.5 \cdot
# 10^{-14}$. With $f = \sigma(3) \approx 0.95$ almost a hundredth survives. The forget gate's
# bias at initialisation decides which of these worlds training *starts* in.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Measured: 50 steps back in untrained networks
#
# Real gates are not constant, and the lane is not the only road: the gates read $h_{t-1}$, so a
# gradient can also leave the lane, go through $h$ and the gates, and come back. So we measure the
# whole thing. For four untrained networks with $H = 64$ (a tanh RNN, and LSTMs with forget bias 0,
# 1 and 3) we take 16 delayed-recall sequences of 50 steps, put a random unit-length gradient on the
# last hidden state $h_T$, backpropagate it with the package's backward steps, and record the size of
# the gradient on the whole state ($h$, and for the LSTM also $c$) at every lag. At lag 0 it is 1,
# so the value at lag 50 is the fraction that survives 50 steps.

# %%
D, H, T = 13, 64, 50
xs, _ = delayed_recall(16, gap=T - 2, rng=rng)  # (16, 50, 13)
nets = {"tanh RNN": init_rnn_params(D, H, rng)}
for b in (0.0, 1.0, 3.0):
    nets[f"LSTM, forget bias {b:.0f}"] = init_lstm_params(D, H, rng, forget_bias=b)
grad = {name: hidden_gradient_norms(p, xs, rng=rng, wrt="state") for name, p in nets.items()}  # (16, 51)
survives = {name: float(np.median(g[:, 50] / g[:, 0])) for name, g in grad.items()}

print(f"{'':>22} {'lag 50 / lag 0':>15} {'lane alone (median f product)':>31}")
for name, p in nets.items():
    lane_only = "" if name == "tanh RNN" else f"{np.median(cell_path_gradient(p, xs)[:, 50]):.1e}"
    print(f"{name:>22} {survives[name]:15.1e} {lane_only:>31}")

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.4))
plot_gradient_norms_vs_lag(np.arange(T + 1), grad, ax=ax)
ax.set_ylabel("gradient on the state")
ax.set_title("untrained, H = 64 (median of 16 sequences, band: min to max)", fontsize=10)
ax.legend(frameon=False, fontsize=8, loc="lower left")
plt.show()

# %%
rnn_, fb0, fb1, fb3 = (survives[name] for name in nets)
assert max(rnn_, fb0) < fb1 < fb3, "the ordering: RNN and LSTM bias 0 < LSTM bias 1 < LSTM bias 3"
assert rnn_ < 1e-9 and fb0 < 1e-9, "RNN and LSTM with forget bias 0: essentially nothing survives"
assert 1e-6 < fb1 < 1e-2, "forget bias 1: a small but usable fraction survives"
assert fb1 > 1e4 * max(rnn_, fb0) and fb3 > 0.1, "raising the bias gains orders of magnitude"
print("all claims hold")

# %% [markdown]
# The numbers tell the story of the forget bias. With bias 0 an untrained LSTM keeps no more of the
# gradient than the plain RNN: both are of order $10^{-11}$ after 50 steps (which of the two comes
# out ahead changes with the random weights). The lane is there, but its gates are half shut. With
# bias 1, about $10^{-4}$ survives, and with bias 3 the gradient arrives at full size. (The measured gradient is larger than the lane-only product in the
# last column because the detours through $h$ and the gates add to it in an untrained network; the
# ordering is the same.)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Why the forget bias is a design decision
#
# - The forget gate itself came after the first LSTM. The cell of Hochreiter & Schmidhuber (1997)
#   carried its content with a fixed factor of 1, so an error signal could circulate along it
#   unchanged for as long as needed; they called it the **constant error carousel**. Its lane could
#   never lose a gradient, but it could not drop stale content either. Gers, Schmidhuber & Cummins (2000) added the forget gate to
#   let the cell reset itself; the price is that the factor is now learnt, and can start out small.
# - Jozefowicz, Zaremba & Sutskever (2015) searched through thousands of recurrent architectures and
#   found that adding 1 to the LSTM's forget-gate bias at initialisation closes the gap between the
#   LSTM and the GRU, its best-known rival.
#   Libraries disagree on the default: Keras adds 1 to the forget bias, PyTorch starts every bias
#   near 0. This package's `init_lstm_params` takes `forget_bias` explicitly (default 1), and lesson
#   10 measures what 1 and 3 do to training on long gaps.
# - A large bias is not free: a cell that keeps everything at first must *learn* to forget what no
#   longer matters. That is the forget gate's job, lesson 04.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What the cell state does not fix
#
# The lane adds a road on which gradients can survive. It does not repair the other roads, and it
# does not make every gradient well-behaved:
#
# - **The hidden path still vanishes.** If we cut the lane (keep only the routes through $h$ and the
#   gates), the gradient 50 steps back is as hopeless as in a plain RNN. Measured below on the LSTM
#   with forget bias 3. Lesson 09 plots the two paths side by side.
# - **Along the lane, gates below 1 still shrink the gradient**, only slowly; over a long enough gap
#   even $0.95^k$ becomes small.
# - **Nothing here prevents exploding gradients.** With the gates wide open the gradient above even
#   grew a little over 50 steps, and the detours through $h$ can still blow up. LSTMs are trained
#   with gradient clipping too (Pascanu, Mikolov & Bengio 2013); every run in this course clips at 1.

# %%
lstm3 = nets["LSTM, forget bias 3"]
hidden_only = hidden_gradient_norms(lstm3, xs, rng=rng, path="hidden")  # the lane cut at every step
hidden_50 = float(np.median(hidden_only[:, 50] / hidden_only[:, 0]))
print(f"LSTM, forget bias 3, 50 steps back: whole state {fb3:.1e}, hidden path alone {hidden_50:.1e}")
assert hidden_50 < 1e-20 < 0.1 < fb3, "an LSTM does not stop the hidden path from vanishing"
assert fb3 > 1, "with the gates wide open the gradient even grew over 50 steps"

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - The LSTM keeps the RNN's main line $h_t$ and adds a memory lane, the cell state
#   $c_t = f_t \odot c_{t-1} + i_t \odot \tilde c_t$, touched only by an elementwise scaling and an
#   addition.
# - Along the lane, $\partial c_T / \partial c_{T-k}$ is the product of the forget gates
#   $f_T \odot \cdots \odot f_{T-k+1}$: checked by backpropagation and by nudging $c_0$.
# - Over 100 steps that product is $8 \cdot 10^{-31}$ for $f = \sigma(0)$, $2.5 \cdot 10^{-14}$ for
#   $\sigma(1)$ and about $8 \cdot 10^{-3}$ for $\sigma(3)$: the forget bias at initialisation decides
#   whether long gaps start out learnable (Gers et al. 2000; Jozefowicz et al. 2015).
# - Measured on untrained networks ($H = 64$), the fraction of the gradient that survives 50 steps:
#   tanh RNN and LSTM with forget bias 0 alike below $10^{-9}$ (about $4 \cdot 10^{-11}$ here), LSTM
#   with bias 1 between $10^{-6}$ and $10^{-2}$ (about $10^{-4}$), bias 3 above 0.1.
# - Limits: the hidden path still vanishes, gates below 1 still shrink the lane's gradient, and
#   nothing here stops explosions: clip.
#
# [← Previous: 02 · Why plain RNNs forget](02_why_rnns_forget.ipynb) ·
# [Next: 04 · The forget gate →](04_the_forget_gate.ipynb)
