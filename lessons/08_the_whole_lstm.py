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
# # 08 · The whole LSTM
#
# Lessons 04 to 07 took the LSTM cell apart, one layer at a time. Here we put it back together
# and run it over a sequence.
#
# **Goals**
#
# - See the four layers (forget gate, input gate, candidate, output gate) work together in one step.
# - Count what the four layers cost compared with a plain RNN.
# - Run a forward pass over a whole sequence and know what the package keeps for the backward pass.
# - Check, number for number, that our NumPy LSTM computes what PyTorch's `nn.LSTM` computes.
# - Exercise: write the whole LSTM step yourself.
#
# **Prerequisites:** [07 · The output gate](07_the_output_gate.ipynb), and the equations of
# lessons 04 to 07 (each gate on its own).

# %%
import numpy as np
import matplotlib.pyplot as plt
%config InlineBackend.figure_format = "png"
plt.rcParams["figure.dpi"] = 72  # small stored figures

from lstm_course.activations import sigmoid
from lstm_course.checks import check_lstm_step_forward
from lstm_course.diagrams import draw_lstm_cell
from lstm_course.lstm import (GATES, init_lstm_params, lstm_forward, lstm_step_forward,
                              params_from_torch)
from lstm_course.rnn import init_rnn_params
from lstm_course.reference import load_torch_reference

np.set_printoptions(precision=3, suppress=True)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Four layers in one cell
#
# The notes promised a repeating module with *four* interacting layers instead of the RNN's one.
# Here is the whole of it. Every layer reads the same two things, the previous hidden state
# $h_{t-1}$ and the input $x_t$, and has its own weights:
#
# $$
# \begin{aligned}
# f_t &= \sigma(x_t W_{xf} + h_{t-1} W_{hf} + b_f) && \text{forget gate: how much of } c_{t-1} \text{ to keep}\\
# i_t &= \sigma(x_t W_{xi} + h_{t-1} W_{hi} + b_i) && \text{input gate: how much to write}\\
# \tilde c_t &= \tanh(x_t W_{xg} + h_{t-1} W_{hg} + b_g) && \text{candidate: what to write}\\
# o_t &= \sigma(x_t W_{xo} + h_{t-1} W_{ho} + b_o) && \text{output gate: how much to show}\\
# c_t &= f_t \odot c_{t-1} + i_t \odot \tilde c_t && \text{the memory lane}\\
# h_t &= o_t \odot \tanh(c_t) && \text{the main line}
# \end{aligned}
# $$
#
# The diagram writes $W_f\,[h_{t-1}, x_t]$: one matrix applied to the two vectors stacked. That is
# the same as our $x_t W_{xf} + h_{t-1} W_{hf}$ with the matrix cut in two. We keep the two halves
# apart, row vectors on the left, so that a batch of $N$ inputs is an $(N, D)$ array. The candidate
# $\tilde c_t$ is called `g` in the code, as in PyTorch.

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
draw_lstm_cell(ax=ax)
plt.show()

# %% [markdown] slideshow={"slide_type": "notes"}
# Walk the diagram from left to right, in the order of the notes: the forget gate touches the
# memory lane first (the multiplication), then the input gate and the candidate write to it (the
# addition), and last the output gate reads a squashed copy of it into $h_t$. Point out that only
# two pointwise operations sit on the orange line: that is why it carries information (and, in
# lesson 09, gradients) so well.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What four layers cost
#
# Each layer has a $(D, H)$ input matrix, an $(H, H)$ recurrent matrix and a bias of $H$. A plain
# RNN has one such triple; the LSTM has four. Let us count for a small cell, $D = 3$ inputs and
# $H = 4$ units.

# %%
rng = np.random.default_rng(0)
D, H = 3, 4
params = init_lstm_params(D, H, rng, forget_bias=1.0)
for gate in GATES:
    shapes = [getattr(params, f"{kind}{gate}").shape for kind in ("W_x", "W_h", "b_")]
    print(f"layer {gate}: W_x{gate} {shapes[0]}, W_h{gate} {shapes[1]}, b_{gate} {shapes[2]}")

n_lstm = sum(getattr(params, f"{kind}{gate}").size for gate in GATES for kind in ("W_x", "W_h", "b_"))
rnn = init_rnn_params(D, H, rng)
n_rnn = rnn.W_xh.size + rnn.W_hh.size + rnn.b_h.size
print(f"LSTM: {n_lstm} numbers, RNN: {n_rnn} numbers, ratio {n_lstm / n_rnn:.0f}")
assert n_lstm == 4 * (D * H + H * H + H) == 4 * n_rnn, "an LSTM has four layers of an RNN's size"

# %% [markdown]
# Four times the weights, and four times the work per step. Keep that in mind in lesson 10, where
# the RNN and the LSTM get the same number of training *steps*: an LSTM step costs more.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## One step, by hand
#
# We take a batch of $N = 2$ inputs and a non-zero previous state, and follow the six equations
# literally. Then we ask the package's `lstm_step_forward` for the same step.

# %%
N = 2
x = rng.standard_normal((N, D))
h_prev = 0.5 * rng.standard_normal((N, H))
c_prev = rng.standard_normal((N, H))
p = params

f = sigmoid(x @ p.W_xf + h_prev @ p.W_hf + p.b_f)  # forget gate
i = sigmoid(x @ p.W_xi + h_prev @ p.W_hi + p.b_i)  # input gate
g = np.tanh(x @ p.W_xg + h_prev @ p.W_hg + p.b_g)  # candidate c~
o = sigmoid(x @ p.W_xo + h_prev @ p.W_ho + p.b_o)  # output gate
c = f * c_prev + i * g  # keep part of the old cell, add part of the candidate
h = o * np.tanh(c)  # show part of the squashed cell

print("forget gate f:\n", f)
print("candidate g:\n", g)
print("new cell state c:\n", c)
print("new hidden state h:\n", h)

# %%
h_pkg, c_pkg, cache = lstm_step_forward(x, h_prev, c_prev, params)
diff = max(np.abs(h - h_pkg).max(), np.abs(c - c_pkg).max())
print("largest difference from lstm_step_forward below 1e-14:", bool(diff < 1e-14))
assert diff < 1e-14, "the six equations are the package's LSTM step"
print("the step's cache keeps:", ", ".join(cache._fields))

# %% [markdown]
# The forget bias of 1 shows: before any training, $f$ already leans towards keeping
# ($\sigma(1) \approx 0.73$). The cache keeps every input and every gate of the step, because the
# backward pass of lesson 09 needs all of them.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise: the LSTM step
#
# Write one LSTM step. `x` is $(N, D)$, `h_prev` and `c_prev` are $(N, H)$, `params` is an
# `LSTMParams` with the twelve arrays `W_xi, W_hi, b_i, W_xf, ...`. Return `(h, c, cache)`; the
# check compares `h` and `c`, so the cache may be anything you like (a tuple of the gates is fine).
# The check tries several random cases and names the usual mistakes if you make one.

# %%
def lstm_step(x, h_prev, c_prev, params):
    """One LSTM step: x (N, D), h_prev and c_prev (N, H) -> (h, c, cache)."""
    ### BEGIN SOLUTION
    p = params
    f = sigmoid(x @ p.W_xf + h_prev @ p.W_hf + p.b_f)
    i = sigmoid(x @ p.W_xi + h_prev @ p.W_hi + p.b_i)
    g = np.tanh(x @ p.W_xg + h_prev @ p.W_hg + p.b_g)
    o = sigmoid(x @ p.W_xo + h_prev @ p.W_ho + p.b_o)
    c = f * c_prev + i * g
    h = o * np.tanh(c)
    return h, c, (i, f, g, o)
    ### END SOLUTION


check_lstm_step_forward(lstm_step)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise: the whole sequence forward
#
# One step turns $(x_t, h_{t-1}, c_{t-1})$ into $(h_t, c_t)$. A sequence is $T$ of them, and the
# memory is exactly what passes from one step to the next. Write
# `lstm_sequence_forward(x, h0, c0, params)` for a batch of sequences $x$ of shape $(N, T, D)$ and
# initial states $h_0, c_0$ of shape $(N, H)$. Return `(h, c, cache)`: `h[:, t]` and `c[:, t]`,
# each array $(N, T, H)$, are the states *after* step $t$ (so $h_1 \dots h_T$, not $h_0$), and
# `cache` is anything you like (lesson 09's backward pass will want what each step needs).
# You may call your `lstm_step` or the package's `lstm_step_forward` inside; the check compares
# only `h` and `c`, and also runs your function twice on the same input, so it must not keep any
# state between calls.

# %%
from lstm_course.checks import check_lstm_forward


def lstm_sequence_forward(x, h0, c0, params):
    """The LSTM over a sequence: x (N, T, D), h0, c0 (N, H) -> h, c (N, T, H) and a cache."""
    ### BEGIN SOLUTION
    N, T, _ = x.shape
    h_t, c_t = h0, c0
    hs, cs, caches = [], [], []
    for t in range(T):
        h_t, c_t, step_cache = lstm_step_forward(x[:, t], h_t, c_t, params)  # (N, H) each
        hs.append(h_t)
        cs.append(c_t)
        caches.append(step_cache)
    return np.stack(hs, axis=1), np.stack(cs, axis=1), caches  # (N, T, H), (N, T, H)
    ### END SOLUTION


check_lstm_forward(lstm_sequence_forward)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A whole sequence
#
# Running the LSTM over a sequence is the step in a loop: each step's $h_t$ and $c_t$ become the
# next step's $h_{t-1}$ and $c_{t-1}$. The package's `lstm_forward(x, h0, c0, params)` takes a
# batch of sequences $x$ of shape $(N, T, D)$ and returns every hidden state and every cell state,
# each $(N, T, H)$. From here on we use the package's functions, not the exercise's.

# %%
T = 30
xs = rng.standard_normal((N, T, D))
h0 = np.zeros((N, H))
c0 = np.zeros((N, H))

hs, cs, seq_cache = lstm_forward(xs, h0, c0, params)
print("h:", hs.shape, " c:", cs.shape, " cache.f:", seq_cache.f.shape)

# the same thing, one step at a time
h_t, c_t = h0, c0
worst = 0.0
for t in range(T):
    h_t, c_t, step_cache = lstm_step_forward(xs[:, t], h_t, c_t, params)
    worst = max(worst, np.abs(h_t - hs[:, t]).max(), np.abs(c_t - cs[:, t]).max())
print("loop of lstm_step_forward vs lstm_forward, largest difference below 1e-14:", bool(worst < 1e-14))
assert worst < 1e-14, "lstm_forward is the step in a loop"

# %% [markdown]
# `lstm_forward` does one thing the loop above does not: it multiplies the inputs of *all* steps by
# the input weights in one matrix product before the loop, since $x_t W_x$ does not depend on the
# recurrence. Only $h_{t-1} W_h$ has to wait for the previous step.
#
# For the same reason it puts the four layers' weights side by side, in PyTorch's order
# $(i, f, g, o)$: `params.stacked()` gives $W_x$ of shape $(D, 4H)$ and $W_h$ of shape $(H, 4H)$, so
# one product computes all four pre-activations. Its cache keeps the gates of every step, and names
# them: `seq_cache.i`, `seq_cache.f`, `seq_cache.g` and `seq_cache.o`, each of shape $(T, N, H)$,
# time first.

# %%
f_from_cache = seq_cache.f  # (T, N, H): the forget gate of every step
f_last_step = step_cache.f  # (N, H), from the loop's last step
assert np.abs(f_from_cache[-1] - f_last_step).max() < 1e-14
print("forget gate of the last step, read from the sequence cache:\n", f_from_cache[-1])

# %% [markdown] slideshow={"slide_type": "slide"}
# ### Two lines of state
#
# The picture of the notes, the memory lane beside the main line, in numbers. We feed one sequence:
# ten random inputs, then the same input twenty times over (think of a word repeated). The hidden
# state $h_t = o_t \odot \tanh(c_t)$ can never leave $(-1, 1)$. The cell state is not squashed:
# with the forget gate near 1, it adds up what the input gate lets in, step after step.

# %%
x_demo = np.concatenate([rng.standard_normal((1, 10, D)),
                         np.tile([[[2.0, -2.0, 1.0]]], (1, 20, 1))], axis=1)  # (1, 30, D)
h_demo, c_demo, _ = lstm_forward(x_demo, None, None, params)

fig, axes = plt.subplots(1, 2, figsize=(7, 2.8), sharey=True)
for unit in range(H):
    axes[0].plot(c_demo[0, :, unit], lw=1.5, label=f"unit {unit}")
    axes[1].plot(h_demo[0, :, unit], lw=1.5)
axes[0].set_title("cell state $c_t$ (memory lane)")
axes[1].set_title("hidden state $h_t$ (main line)")
for ax in axes:
    ax.axhspan(-1, 1, color="grey", alpha=0.1, lw=0)
    ax.axvline(9.5, color="grey", ls=":", lw=1)
    ax.set_xlabel("step t (the input repeats from t = 10)")
    ax.grid(alpha=0.3)
axes[0].legend(frameon=False, fontsize=8)
fig.tight_layout()
plt.show()

# %%
h_max = float(np.abs(h_demo).max())
c_max = float(np.abs(c_demo).max())
print(f"largest |h|: {h_max:.3f}   largest |c|: {c_max:.3f}")
assert h_max < 1.0, "h = o * tanh(c) stays inside (-1, 1)"
assert c_max > 1.0, "the cell state is not squashed: here it leaves (-1, 1)"

# %% [markdown]
# Each step adds $i_t \odot \tilde c_t$, at most 1 in size, and keeps the fraction $f_t$ of what
# was there. With the same input at every step the cell settles where the two balance,
# $c = f c + i \tilde c$, that is $c = i \tilde c / (1 - f)$: $1 / (1 - f)$ times what one step
# writes. Let us check that on the unit that climbed highest, with the gates of the last step read
# from the cache.

# %%
h_demo, c_demo, demo_cache = lstm_forward(x_demo, None, None, params)
i_T, f_T, g_T = demo_cache.i[-1, 0], demo_cache.f[-1, 0], demo_cache.g[-1, 0]  # (H,) each: the last step
u = int(np.abs(c_demo[0, -1]).argmax())
balance = i_T[u] * g_T[u] / (1 - f_T[u])
print(f"unit {u}: f = {f_T[u]:.3f}, one step writes i * g = {i_T[u] * g_T[u]:.3f}, "
      f"1 / (1 - f) = {1 / (1 - f_T[u]):.1f}")
print(f"balance point i * g / (1 - f) = {balance:.3f}, cell state c = {c_demo[0, -1, u]:.3f}")
assert abs(c_demo[0, -1, u] - balance) < 0.1 * abs(balance), "the cell sits near its balance point"

# %% [markdown]
# That is the price of an unsquashed memory lane, and the reason for the $\tanh$ before the output
# gate (lesson 07): however far $c$ climbs, $h$ stays in $(-1, 1)$.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The same numbers as PyTorch
#
# Our LSTM should compute exactly the function that PyTorch's `nn.LSTM` computes. A script in the
# repository (`scripts/make_torch_reference.py`) ran `nn.LSTM` in float64 on several shapes, with
# random weights, two different bias vectors, and non-zero initial states, and saved inputs and
# outputs to `tests/reference/lstm_reference.npz`. We only read that file: no PyTorch needed here.
#
# Two details of PyTorch's layout, which `params_from_torch` translates:
#
# - `weight_ih` is $(4H, D)$ with the four layers stacked as row blocks in the order
#   $(i, f, g, o)$, and it multiplies column vectors; our `W_xi` is the transpose of the first block.
# - PyTorch adds *two* biases, `bias_ih` and `bias_hh`; only their sum matters, and we keep the sum.

# %%
ref = load_torch_reference("lstm_reference.npz")  # tests/reference/, made with torch
print("made with torch", ref.torch_version)
worst = 0.0
for a in ref.cases.values():  # a: the arrays of one case, by name
    torch_params = params_from_torch(a["weight_ih"], a["weight_hh"], a["bias_ih"], a["bias_hh"])
    h_ours, c_ours, _ = lstm_forward(a["x"], a["h0"], a["c0"], torch_params)
    diffs = [np.abs(h_ours - a["h"]).max(),  # every hidden state
             np.abs(h_ours[:, -1] - a["h_n"]).max(),  # PyTorch's h_n
             np.abs(c_ours[:, -1] - a["c_n"]).max()]  # PyTorch's c_n
    worst = max(worst, *diffs)
    N_, T_, D_ = a["x"].shape
    ok = "below 1e-12" if max(diffs) < 1e-12 else f"{max(diffs):.1e}"
    print(f"N={N_} T={T_} D={D_} H={torch_params.H}:  largest difference {ok}")
assert worst < 1e-10, f"our LSTM differs from nn.LSTM by {worst:.1e}"
assert worst < 1e-12, "the differences are float64 rounding, nothing more"

# %% [markdown]
# The differences are rounding errors of float64 arithmetic (float64 keeps about 16 digits): the
# two implementations add the same numbers in slightly different orders. The cases include the edges
# where bugs hide: one sequence ($N = 1$), one step ($T = 1$), one input ($D = 1$), and more hidden
# units than inputs and fewer. Lesson 09 does the same for the gradients.

# %% [markdown] slideshow={"slide_type": "notes"}
# If someone asks why not simply `import torch`: the course runs without it (a much smaller
# install), and the committed arrays pin the comparison to one PyTorch version
# (`make reference` regenerates them).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - An LSTM step is six lines: three sigmoid gates and a tanh candidate, all reading
#   $[h_{t-1}, x_t]$ with their own weights, then $c_t = f_t \odot c_{t-1} + i_t \odot \tilde c_t$
#   and $h_t = o_t \odot \tanh(c_t)$.
# - Four layers mean four times the weights and the work of a plain RNN with the same $H$.
# - A sequence is the step in a loop; `lstm_forward` keeps every state and gate for the backward pass
#   (its cache names them: `cache.i`, `cache.f`, `cache.g`, `cache.o`, each $(T, N, H)$).
# - The hidden state stays in $(-1, 1)$; the cell state is not squashed.
# - Our LSTM and PyTorch's `nn.LSTM` agree to float64 rounding (below $10^{-12}$) on every reference case.
#
# Next, the backward pass: where the gradient goes inside the cell, and why the memory lane keeps
# it alive.
#
# [← Previous: 07 · The output gate](07_the_output_gate.ipynb) ·
# [Next: 09 · Backpropagation through an LSTM →](09_backprop_through_lstm.ipynb)
