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
# # 09 · Backpropagation through an LSTM
#
# Training needs the gradient of the loss with respect to every weight. The notes list what gets
# "updated" in four groups: the hidden state, the gates, the candidate and the cell state. More
# precisely, training updates only the weights; the gradient *flows through* those four groups, in
# that order, and each layer hands its share to its own weights. We derive the gradient of one LSTM
# step in exactly that order, check it against finite differences and against PyTorch, and then
# follow a gradient back in time along the routes an LSTM offers. (The first LSTM, Hochreiter &
# Schmidhuber 1997, cut the gradient short on purpose: only the error on the cell state travelled
# back in time. The full gradient derived here, the form libraries use today, is that of Graves &
# Schmidhuber 2005.)
#
# **Goals**
#
# - Derive the backward pass of one LSTM step, group by group, each equation beside its line of code.
# - Trust it for the right reason: a gradient check with finite differences, and the same numbers as
#   PyTorch.
# - Measure how much of a gradient reaches a cell state far back: along the cell path alone (a
#   product of forget gates), along the hidden path alone, and in full.
# - Exercise: write the backward pass of one LSTM step.
#
# **Prerequisites:** [08 · The whole LSTM](08_the_whole_lstm.ipynb); the chain rule; backpropagation
# through time (lesson 02) and the cell path (lesson 03).

# %%
import numpy as np
import matplotlib.pyplot as plt
%config InlineBackend.figure_format = "png"
plt.rcParams["figure.dpi"] = 72  # small stored figures

from lstm_course.activations import sigmoid
from lstm_course.analysis import cell_path_gradient, forget_gate_product, gradient_routes
from lstm_course.checks import check_lstm_step_backward
from lstm_course.diagrams import draw_gradient_paths
from lstm_course.gradcheck import check_gradient, check_param_gradients
from lstm_course.lstm import (LSTMParams, init_lstm_params, lstm_backward, lstm_forward,
                              lstm_step_backward, lstm_step_forward, params_from_torch,
                              params_to_torch)
from lstm_course.plots import plot_gradient_norms_vs_lag
from lstm_course.random_params import random_lstm_params
from lstm_course.tasks import delayed_recall
from lstm_course.reference import load_torch_reference

np.set_printoptions(precision=3, suppress=True)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What arrives at a step, and what leaves it
#
# Going backward, step $t$ receives two gradients:
#
# - $\delta h_t = \partial L / \partial h_t$, everything the loss says about $h_t$: from the output
#   read at step $t$ (if any) and from step $t+1$, where $h_t$ fed all four layers;
# - $\delta c_t^{\,\text{next}}$, the part of $\partial L / \partial c_t$ that comes from step $t+1$,
#   where $c_t$ was carried along the memory lane, $c_{t+1} = f_{t+1} \odot c_t + \dots$ (the rest
#   of $\partial L / \partial c_t$ comes through $h_t$, and this step adds it in group 1).
#
# It must send back $\delta h_{t-1}$, $\delta c_{t-1}^{\,\text{next}}$ and $\delta x_t$, and add its
# share to the gradient of every weight. Everything it needs was kept by the forward pass in the step's cache.
# Below, $\delta$ of anything means "$\partial L / \partial$ of it", all products $\odot$ are
# elementwise, and each step's arrays have a batch of $N$ rows.
#
# We work on one concrete step: random weights and biases (none zero, so that no mistake can
# hide behind a zero), a non-zero previous state, and random incoming gradients.

# %%
rng = np.random.default_rng(0)
N, D, H = 2, 3, 4
params = random_lstm_params(D, H, rng, scale=0.5)  # every weight and bias non-zero, of size about 0.5

x = rng.standard_normal((N, D))
h_prev = 0.5 * rng.standard_normal((N, H))
c_prev = rng.standard_normal((N, H))
h, c, cache = lstm_step_forward(x, h_prev, c_prev, params)

dh = rng.standard_normal((N, H))  # dL/dh_t, all of it
dc = rng.standard_normal((N, H))  # dL/dc_t arriving from step t + 1
i, f, g, o = cache.i, cache.f, cache.g, cache.o
tanh_c = cache.tanh_c

# the package's answer, to compare each group with
ref_dx, ref_dh_prev, ref_dc_prev, ref_dparams = lstm_step_backward(dh, dc, cache)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1 · The hidden state
#
# The last forward line was $h_t = o_t \odot \tanh(c_t)$. The gradient on $h_t$ splits two ways: to
# the output gate, and through the $\tanh$ to the cell state. The cell state also has its own
# gradient $\delta c_t^{\,\text{next}}$ from step $t+1$; a variable used twice gets the *sum* of its
# gradients, and that sum is the whole $\delta c_t = \partial L / \partial c_t$.
#
# | equation | code |
# |---|---|
# | $\delta o_t = \delta h_t \odot \tanh(c_t)$ | `do = dh * tanh_c` |
# | $\delta c_t^{\,\text{total}} = \delta c_t^{\,\text{next}} + \delta h_t \odot o_t \odot \left(1 - \tanh^2(c_t)\right)$ | `dc_total = dc + dh * o * (1 - tanh_c**2)` |

# %%
do = dh * tanh_c
dc_total = dc + dh * o * (1 - tanh_c**2)
print("total gradient on c_t:\n", dc_total)

# %% [markdown] slideshow={"slide_type": "notes"}
# The forgotten sum is the most common bug in hand-written LSTM backward passes: code that uses only
# `dh * o * (1 - tanh_c**2)` trains, badly, because every gradient that arrived along the memory
# lane is thrown away. The exercise check recognises that mistake and names it.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2 · The gates
#
# The cell update $c_t = f_t \odot c_{t-1} + i_t \odot \tilde c_t$ gives the gradients on the forget
# and input gates; the output gate's came from group 1. Each gate is a sigmoid,
# $\sigma'(a) = \sigma(a)\,(1 - \sigma(a))$, so the gradient on its pre-activation $a$ is the
# gate's gradient times $\text{gate} \odot (1 - \text{gate})$. The pre-activation
# $a = x_t W_x + h_{t-1} W_h + b$ then hands out the weight gradients, summed over the batch.
#
# | equation | code |
# |---|---|
# | $\delta f_t = \delta c_t^{\,\text{total}} \odot c_{t-1}$ | `df = dc_total * c_prev` |
# | $\delta i_t = \delta c_t^{\,\text{total}} \odot \tilde c_t$ | `di = dc_total * g` |
# | $\delta a_f = \delta f_t \odot f_t \odot (1 - f_t)$ | `da_f = df * f * (1 - f)` |
# | $\delta a_i = \delta i_t \odot i_t \odot (1 - i_t)$ | `da_i = di * i * (1 - i)` |
# | $\delta a_o = \delta o_t \odot o_t \odot (1 - o_t)$ | `da_o = do * o * (1 - o)` |
# | $\delta W_{xf} = x_t^\top \delta a_f$, $\;\delta W_{hf} = h_{t-1}^\top \delta a_f$, $\;\delta b_f = \sum_n \delta a_f$ | `dW_xf = x.T @ da_f`, `dW_hf = h_prev.T @ da_f`, `db_f = da_f.sum(axis=0)` |
#
# and the same last line for $i$ and $o$.

# %%
df = dc_total * c_prev
di = dc_total * g
da_f = df * f * (1 - f)
da_i = di * i * (1 - i)
da_o = do * o * (1 - o)
grads = {}
for k, da in (("f", da_f), ("i", da_i), ("o", da_o)):
    grads[f"W_x{k}"] = x.T @ da  # (D, H)
    grads[f"W_h{k}"] = h_prev.T @ da  # (H, H)
    grads[f"b_{k}"] = da.sum(axis=0)  # (H,)

worst = max(np.abs(grads[name] - getattr(ref_dparams, name)).max() for name in grads)
print("gate weights: same as lstm_step_backward:", bool(worst < 1e-12))
assert worst < 1e-12

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3 · The candidate
#
# The candidate $\tilde c_t$ (`g`) enters the cell scaled by the input gate, and it is a $\tanh$,
# $\tanh'(a) = 1 - \tanh^2(a)$:
#
# | equation | code |
# |---|---|
# | $\delta \tilde c_t = \delta c_t^{\,\text{total}} \odot i_t$ | `dg = dc_total * i` |
# | $\delta a_g = \delta \tilde c_t \odot (1 - \tilde c_t^{\,2})$ | `da_g = dg * (1 - g**2)` |
# | $\delta W_{xg} = x_t^\top \delta a_g$, $\;\delta W_{hg} = h_{t-1}^\top \delta a_g$, $\;\delta b_g = \sum_n \delta a_g$ | `dW_xg = x.T @ da_g`, `dW_hg = h_prev.T @ da_g`, `db_g = da_g.sum(axis=0)` |

# %%
dg = dc_total * i
da_g = dg * (1 - g**2)
grads["W_xg"] = x.T @ da_g
grads["W_hg"] = h_prev.T @ da_g
grads["b_g"] = da_g.sum(axis=0)

worst = max(np.abs(grads[name] - getattr(ref_dparams, name)).max() for name in ("W_xg", "W_hg", "b_g"))
print("candidate weights: same as lstm_step_backward:", bool(worst < 1e-12))
assert worst < 1e-12

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4 · The cell state, and what goes back to the previous step
#
# Last, the gradients that leave the step. Along the memory lane, $c_{t-1}$ reaches $c_t$ through one
# multiplication by $f_t$, so its gradient is a single elementwise product. The previous hidden
# state and the input reached all four layers, so their gradients collect from all four.
#
# | equation | code |
# |---|---|
# | $\delta c_{t-1}^{\,\text{next}} = \delta c_t^{\,\text{total}} \odot f_t$ | `dc_prev = dc_total * f` |
# | $\delta h_{t-1} = \sum_{k \in \{i,f,g,o\}} \delta a_k W_{hk}^\top$ | `dh_prev = sum(da[k] @ W_h[k].T for k in "ifgo")` |
# | $\delta x_t = \sum_{k \in \{i,f,g,o\}} \delta a_k W_{xk}^\top$ | `dx = sum(da[k] @ W_x[k].T for k in "ifgo")` |

# %%
dc_prev = dc_total * f
da = {"i": da_i, "f": da_f, "g": da_g, "o": da_o}
dh_prev = sum(da[k] @ getattr(params, f"W_h{k}").T for k in "ifgo")
dx = sum(da[k] @ getattr(params, f"W_x{k}").T for k in "ifgo")

worst = max(np.abs(dc_prev - ref_dc_prev).max(), np.abs(dh_prev - ref_dh_prev).max(),
            np.abs(dx - ref_dx).max())
print("dc_prev, dh_prev, dx: same as lstm_step_backward:", bool(worst < 1e-12))
assert worst < 1e-12
weight_names = list(vars(ref_dparams))  # the twelve fields of LSTMParams
worst_weight = max(np.abs(grads[name] - getattr(ref_dparams, name)).max() for name in weight_names)
assert set(grads) == set(weight_names) and worst_weight < 1e-12, "all twelve weight gradients, as the package's"

# %% [markdown]
# Look at the first line of that table. Along the cell state the step backward is *only* a
# multiplication by the forget gate: no weight matrix, no squashing derivative. Along the hidden
# state it is a sum of four matrix products, each after a sigmoid or tanh derivative. Keep the two in
# mind; the last section measures what they do over many steps.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The gradient check
#
# Agreeing with the package proves little if both share a mistake. The independent judge is the
# definition of a derivative: nudge one number by $\pm\epsilon$, run the forward pass twice, and
# divide, $\dfrac{L(w + \epsilon) - L(w - \epsilon)}{2\epsilon}$. We do that for every input and
# every weight of a whole sequence ($T = 4$, non-zero initial states), with a loss that reads every
# hidden state and the last cell state, and compare with `lstm_backward`. The relative error of an
# array is its largest difference divided by its largest magnitude; float64 and centred differences
# put a correct gradient near $10^{-9}$ and a wrong one near $10^{-1}$, so we ask for below
# $10^{-7}$.

# %%
T = 4
xs = rng.standard_normal((N, T, D))
h0 = 0.5 * rng.standard_normal((N, H))
c0 = rng.standard_normal((N, H))
G = rng.standard_normal((N, T, H))  # weights of the loss on every h_t
Gc = rng.standard_normal((N, H))  # ... and on the last cell state c_T


def loss(xs, h0, c0, p):
    hs, cs, _ = lstm_forward(xs, h0, c0, p)
    return float(np.sum(hs * G) + np.sum(cs[:, -1] * Gc))


hs, cs, seq_cache = lstm_forward(xs, h0, c0, params)
dxs, dh0, dc0, dparams = lstm_backward(G, seq_cache, dc_last=Gc)  # dL/dh_t = G, dL/dc_T = Gc

errors = {
    "x": check_gradient(lambda v: loss(v, h0, c0, params), xs, dxs, name="x"),
    "h0": check_gradient(lambda v: loss(xs, v, c0, params), h0, dh0, name="h0"),
    "c0": check_gradient(lambda v: loss(xs, h0, v, params), c0, dc0, name="c0"),
    **check_param_gradients(lambda p: loss(xs, h0, c0, p), params, dparams),
}
print(f"{len(errors)} arrays checked; every relative error below 1e-7:",
      all(e < 1e-7 for e in errors.values()))
assert max(errors.values()) < 1e-7, "the analytic gradient agrees with finite differences"

# %%
fig, ax = plt.subplots(figsize=(7, 2.8))
ax.bar(range(len(errors)), list(errors.values()), color="#0072B2")
ax.axhline(1e-7, color="#D55E00", ls="--", lw=1.5, label="tolerance 1e-7")
ax.set_yscale("log")
ax.set_ylim(1e-13, 1e-5)
ax.set_xticks(range(len(errors)))
ax.set_xticklabels(list(errors), rotation=90)
ax.set_ylabel("relative error")
ax.legend(frameon=False, loc="upper right")
ax.grid(alpha=0.3, axis="y")
fig.tight_layout()
plt.show()

# %% [markdown]
# `check_gradient` would have *raised* an error naming the array and the worst entry if any of
# these had been wrong; the figure shows how far below the tolerance they all are.

# %% [markdown] slideshow={"slide_type": "slide"}
# ### The same gradients as PyTorch
#
# The reference file of lesson 08 also holds PyTorch's gradients, for the loss
# $\sum_t \sum G \odot h_t + \sum G_c \odot c_T$, on every input and weight. PyTorch stores the
# weights as $(4H, \cdot)$ row blocks $(i, f, g, o)$; `params_to_torch` lays our gradients out the
# same way. PyTorch's two biases are added in the forward pass, so each gets the whole bias gradient.

# %%
ref = load_torch_reference("lstm_reference.npz")  # tests/reference/, made with torch
worst = 0.0
for a in ref.cases.values():  # a: the arrays of one case, by name
    p = params_from_torch(a["weight_ih"], a["weight_hh"], a["bias_ih"], a["bias_hh"])
    _, _, case_cache = lstm_forward(a["x"], a["h0"], a["c0"], p)
    g_x, g_h0, g_c0, g_params = lstm_backward(a["G"], case_cache, dc_last=a["Gc"])
    ours = {"dx": g_x, "dh0": g_h0, "dc0": g_c0, **{f"d{k}": v for k, v in params_to_torch(g_params).items()}}
    ours["dbias_hh"] = ours["dbias_ih"]  # both biases get the gradient of their sum
    diffs = {name: np.abs(ours[name] - a[name]).max() for name in ours}
    worst = max(worst, *diffs.values())
print(f"{len(ref.cases)} cases, gradients compared:", ", ".join(diffs))
print("largest difference from PyTorch below 1e-12:", bool(worst < 1e-12))
assert worst < 1e-10, f"our gradients differ from PyTorch's by {worst:.1e}"

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise: one step backward
#
# Put the four groups together into one function. It receives `dh` (the whole gradient on $h_t$),
# `dc` (the gradient on $c_t$ from step $t+1$) and the `cache` of `lstm_step_forward`, whose fields
# are `x, h_prev, c_prev, i, f, g, o, c, tanh_c, params`. Return `(dx, dh_prev, dc_prev, dparams)`,
# with `dparams` an `LSTMParams` of the twelve gradients (`LSTMParams(W_xi=..., W_hi=..., b_i=..., ...)`),
# summed over the batch. The check runs it on several random steps and names the usual mistakes.

# %%
def lstm_step_back(dh, dc, cache):
    """Backward through one LSTM step: dh, dc (N, H), cache -> (dx, dh_prev, dc_prev, dparams)."""
    x, h_prev, c_prev, i, f, g, o, c, tanh_c, p = cache
    ### BEGIN SOLUTION
    # 1. the hidden state h = o * tanh(c)
    do = dh * tanh_c
    dc_total = dc + dh * o * (1 - tanh_c**2)
    # 2. the gates, through their sigmoids
    da = {"f": dc_total * c_prev * f * (1 - f),
          "i": dc_total * g * i * (1 - i),
          "o": do * o * (1 - o)}
    # 3. the candidate, through its tanh
    da["g"] = dc_total * i * (1 - g**2)
    # 4. the cell state, and what goes back to the previous step
    dc_prev = dc_total * f
    dh_prev = sum(da[k] @ getattr(p, f"W_h{k}").T for k in "ifgo")
    dx = sum(da[k] @ getattr(p, f"W_x{k}").T for k in "ifgo")
    fields = {}
    for k in "ifgo":
        fields[f"W_x{k}"] = x.T @ da[k]
        fields[f"W_h{k}"] = h_prev.T @ da[k]
        fields[f"b_{k}"] = da[k].sum(axis=0)
    return dx, dh_prev, dc_prev, LSTMParams(**fields)
    ### END SOLUTION


check_lstm_step_backward(lstm_step_back)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise: backpropagation through time
#
# Now the whole sequence, which no table above writes out. Derive it from what arrives at a step:
#
# - $h_t$ feeds the loss at step $t$ *and* step $t+1$. `dh[:, t]` holds only the first part; the
#   second is the `dh_prev` that step $t+1$ returns. Step $t$ needs their sum.
# - $c_t$ feeds $h_t$ (the step's own business) and $c_{t+1}$: the `dc` a step receives is the
#   `dc_prev` of step $t+1$. After the last step, $c_T$ may still matter to whatever comes next:
#   that gradient is `dc_last` ($(N, H)$, or `None` for zeros).
# - Every step uses the same twelve weight arrays, so their gradients add up over the $T$ steps.
# - What leaves step 1 towards step 0 is the gradient on the initial states, `dh0` and `dc0`.
#
# Write the pair `lstm_seq_forward(x, h0, c0, params) -> (h, c, cache)` (like lesson 08's, keeping in
# the cache what your backward needs) and `lstm_seq_backward(dh, cache, dc_last=None) -> (dx, dh0,
# dc0, dparams)`, with `dh` and `dx` of shapes $(N, T, H)$ and $(N, T, D)$ and `dparams` summed over the
# batch and over time. Your `lstm_step_back` (or the package's `lstm_step_backward`) may do each step.
# The check compares with `lstm_backward` and names the classic slips of BPTT.

# %%
from lstm_course.checks import check_lstm_backward
from lstm_course.tree import tree_map  # tree_map(np.add, a, b) adds two LSTMParams field by field


def lstm_seq_forward(x, h0, c0, params):
    """The LSTM over a sequence: x (N, T, D), h0, c0 (N, H) -> h, c (N, T, H), cache."""
    ### BEGIN SOLUTION
    h_t, c_t, hs, cs, caches = h0, c0, [], [], []
    for t in range(x.shape[1]):
        h_t, c_t, step_cache = lstm_step_forward(x[:, t], h_t, c_t, params)
        hs.append(h_t)
        cs.append(c_t)
        caches.append(step_cache)
    return np.stack(hs, axis=1), np.stack(cs, axis=1), caches
    ### END SOLUTION


def lstm_seq_backward(dh, cache, dc_last=None):
    """BPTT: dh (N, T, H), your cache, dc_last (N, H) or None -> (dx, dh0, dc0, dparams)."""
    ### BEGIN SOLUTION
    N, T, H = dh.shape
    dx = np.zeros((N, T, cache[0].x.shape[1]))
    dh_next = np.zeros((N, H))  # from step t+1 to h_t: nothing after the last step
    dc_next = np.zeros((N, H)) if dc_last is None else dc_last  # from step t+1 (or outside) to c_t
    total = None
    for t in reversed(range(T)):
        dx[:, t], dh_next, dc_next, grads = lstm_step_backward(dh[:, t] + dh_next, dc_next, cache[t])
        total = grads if total is None else tree_map(np.add, total, grads)  # summed over time
    return dx, dh_next, dc_next, total
    ### END SOLUTION


check_lstm_backward(lstm_seq_forward, lstm_seq_backward)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise: your own gradient check
#
# `check_gradient` above is the course's. Write your own, `grad_check(f, x, analytic_grad,
# eps=1e-5)`: `f(x)` returns a number, `x` is a float64 array of any shape, `analytic_grad` an array of
# the same shape. Estimate each entry of the gradient by the centred difference
# $n_i = \big(f(x + \epsilon e_i) - f(x - \epsilon e_i)\big) / 2\epsilon$, one entry at a time, and
# return the relative error
#
# $$\frac{\max_i |a_i - n_i|}{\max_i \big(|a_i| + |n_i|\big)},$$
#
# a single number. Leave `x` exactly as you found it. The check feeds your function correct gradients
# (they must score at most $10^{-7}$) and gradients with planted bugs (they must score their relative
# error), and watches where `f` is evaluated: it names one-sided differences, a step that is too
# small or too large, float32, an entry-by-entry ratio that divides 0 by 0, and an `x` left changed.

# %%
from lstm_course.checks import check_gradient_check


def grad_check(f, x, analytic_grad, eps=1e-5):
    """Relative error between analytic_grad and centred finite differences of f at x."""
    ### BEGIN SOLUTION
    numerical = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        f_plus = f(x)
        x[idx] = old - eps
        f_minus = f(x)
        x[idx] = old  # put it back exactly
        numerical[idx] = (f_plus - f_minus) / (2 * eps)
    scale = np.max(np.abs(analytic_grad) + np.abs(numerical))
    return float(np.max(np.abs(analytic_grad - numerical)) / max(scale, 1e-300))
    ### END SOLUTION


check_gradient_check(grad_check)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Routes back in time
#
# Chain the steps and a gradient given at the last step $T$ travels back towards step $T - k$. At
# every step back it meets the two links of group 4. Along the **cell path** (the memory lane),
# $c_{t-1} \to c_t$, it is multiplied by the forget gate, elementwise: over $k$ steps,
# $\partial c_T / \partial c_{T-k} = f_T \odot f_{T-1} \odot \cdots \odot f_{T-k+1}$. Along the
# **hidden path**, $h_{t-1} \to$ the four layers $\to c_t, h_t$, it is multiplied by the step's
# Jacobian, a weight matrix $W_{h\cdot}$ with a sigmoid or tanh derivative inside, as in a plain RNN
# (lesson 02). The two paths cross at every step, so a gradient can leave the lane through the gates,
# travel a while on the hidden path and come back. The whole gradient is the sum over all these
# routes: two pure ones and very many mixed ones.

# %%
fig, ax = plt.subplots(figsize=(7, 3.2))
draw_gradient_paths(ax=ax, steps=4)
plt.show()

# %% [markdown]
# We measure on untrained LSTMs with $H = 64$, the size of lesson 10, reading sequences of the
# delayed-recall task ($T = 60$). The forget-gate bias sets where $f$ starts: $\sigma(1) \approx
# 0.73$ or $\sigma(3) \approx 0.95$. First the lane on its own: `analysis.cell_path_gradient` runs the
# package's `lstm_step_backward` with the detour through the gates cut off, and we check that what is
# left is exactly the product of the forget gates.

# %%
seqs, _ = delayed_recall(4, gap=58, rng=rng)  # (4, 60, 13)
lstm3 = init_lstm_params(seqs.shape[2], 64, rng, forget_bias=3.0)
lstm1 = init_lstm_params(seqs.shape[2], 64, rng, forget_bias=1.0)

cell3 = cell_path_gradient(lstm3, seqs)  # (N, T + 1, H): diagonal of dc_T/dc_{T-k}, by lag k

# the cell path is exactly the product of the forget gates of the last k steps
_, _, c3 = lstm_forward(seqs, None, None, lstm3)
f3 = c3.f  # (T, N, H): the forget gate of every step
k = 50
gap_prod = np.abs(cell3[:, k] - forget_gate_product(f3[-k:])).max()
print(f"cell path at lag {k} equals the product of the last {k} forget gates:", bool(gap_prod < 1e-12))
assert gap_prod < 1e-12

# %% [markdown]
# Now the question that matters for learning: how much of a gradient on the last hidden state $h_T$
# reaches the cell state $k$ steps back? `analysis.gradient_routes` measures the size (the spectral
# norm: the strongest direction) of $\partial h_T / \partial c_{T-k}$ three ways, each with the
# package's `lstm_step_backward` and some links cut:
#
# - **full**: every route;
# - **lane alone**: $c_{T-k} \to \cdots \to c_T \to h_T$, the diagonal Jacobian
#   $\operatorname{diag}(o_T \odot \tanh'(c_T) \odot f_T \odot \cdots \odot f_{T-k+1})$;
# - **hidden alone**: leave the lane at once ($c_{T-k} \to c_{T-k+1} \to h_{T-k+1}$) and stay on the
#   hidden path.

# %%
routes = {bias: gradient_routes(net, seqs) for bias, net in ((3, lstm3), (1, lstm1))}  # (N, T + 1) each
lags = np.arange(seqs.shape[1] + 1)
ROUTE = {"full": "full", "cell": "lane alone", "hidden": "hidden alone"}
curves = {f"{ROUTE[name]}, forget bias {bias}": v for bias in (3, 1) for name, v in routes[bias].items()
          if not (bias == 1 and name == "hidden")}
fig, ax = plt.subplots(figsize=(6.5, 3.4))
plot_gradient_norms_vs_lag(lags[1:], {name: v[:, 1:] for name, v in curves.items()}, ax=ax)
ax.set_ylabel("size of dh_T / dc_(T-k)")
ax.legend(frameon=False, fontsize=8, loc="lower left")
plt.show()

# %%
med = {bias: {name: np.median(v, axis=0) for name, v in r.items()} for bias, r in routes.items()}
for bias in (3, 1):
    print(f"forget bias {bias}: " + ";  ".join(f"{ROUTE[name]} {m[20]:.1e} at lag 20, {m[50]:.1e} at lag 50"
                                             for name, m in med[bias].items()))
for bias in (3, 1):
    r = routes[bias]
    assert np.allclose(r["full"][:, 1], r["cell"][:, 1]), "one step back there is one route only"
    assert med[bias]["hidden"][50] < 1e-30, "the hidden path alone has vanished after 50 steps"
    assert (r["full"][:, 50] > 10 * r["cell"][:, 50]).all(), "the mixed routes add more than the lane alone"
assert med[3]["full"][50] > 1 and 1e-4 < med[1]["full"][50] < 1e-2, "bias 3: the whole gradient; bias 1: ~1e-3"
excess = {bias: float(np.median(routes[bias]["full"][:, 50] / routes[bias]["cell"][:, 50])) for bias in (3, 1)}
print(f"50 steps back, the full gradient is {excess[3]:.0f} times the lane alone with bias 3, "
      f"{excess[1]:.0f} times with bias 1")
assert 10 < excess[3] < 1000 and excess[1] > 300, "dozens of times with bias 3, thousands with bias 1"
# the rate at which the full gradient decays, per step, between lags 20 and 50, against f itself
rate = {bias: float((med[bias]["full"][50] / med[bias]["full"][20]) ** (1 / 30)) for bias in (3, 1)}
print(f"per step between lags 20 and 50, the full gradient is multiplied by {rate[3]:.2f} (f = "
      f"{sigmoid(3):.2f}) with bias 3, and by {rate[1]:.2f} (f = {sigmoid(1):.2f}) with bias 1")
assert rate[3] > sigmoid(3) and rate[1] > sigmoid(1) and rate[3] > rate[1] + 0.1

# %% [markdown]
# Three findings, on these four sequences (the same holds on other random networks; the tests check
# seeds 1, 2, 100 and 101):
#
# - **The hidden path alone is hopeless.** Each step multiplies by a matrix that shrinks the gradient;
#   after 50 steps nothing is left, by dozens of orders of magnitude, whatever the forget bias.
# - **The full gradient is much larger than the lane alone**: 50 steps back, dozens of times larger
#   with bias 3, thousands of times with bias 1. The mixed routes, which leave the lane for a step
#   or two through the gates and come back, are many, and together they add more than the pure lane.
#   Per step the full gradient shrinks not by $f$ but by about $f$ plus what those detours add
#   (printed above); with bias 3 it even grows.
# - **The forget gate still decides.** Every route that gets far spends most of its steps on the lane,
#   so raising $f$ raises all of them: with bias 3 the whole gradient arrives 50 steps back at full
#   size, with bias 1 about a thousandth of it.
#
# So the honest picture: the lane is the one route whose decay the network controls directly, through
# $f$; the routes through the gates add to it, and cannot do without it. Be careful what this does and
# does not show:
#
# - The LSTM does not abolish vanishing gradients. Along the hidden path they still vanish; what it
#   adds is the lane, and the lane works only while the forget gates stay near 1, which is why the
#   initial forget bias matters (Gers, Schmidhuber & Cummins 2000; Jozefowicz, Zaremba & Sutskever 2015).
# - Nothing here bounds a gradient from above: with bias 3 the full gradient grew over 50 steps. An
#   LSTM does nothing against exploding gradients, so we still clip the gradient norm when training
#   (Pascanu, Mikolov & Bengio 2013).
# - This is an untrained network. Training moves the gates; lesson 10 looks at where they end up.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - Backward through one step, in the notes' four groups: the hidden state splits its gradient between
#   the output gate and the cell; the gates and the candidate pass it through their sigmoid and tanh
#   derivatives to their weights; the cell state sends
#   $\delta c_{t-1}^{\,\text{next}} = \delta c_t^{\,\text{total}} \odot f_t$ back.
# - The gradient on $c_t$ is a sum: what arrived along the memory lane plus what came through $h_t$.
# - Finite differences confirm every gradient (relative error below $10^{-7}$), and PyTorch computes
#   the same numbers.
# - Over many steps, the lane multiplies a gradient by forget gates only; the hidden path multiplies
#   it by matrices and loses it. Measured in full, $\partial h_T / \partial c_{T-k}$ is larger than
#   the lane alone, because routes that leave the lane through the gates and return add to it; the
#   forget gate sets how far all of them reach. An LSTM adds a road; it does not repair the old one,
#   and it does not stop gradients from exploding.
#
# [← Previous: 08 · The whole LSTM](08_the_whole_lstm.ipynb) ·
# [Next: 10 · Training: RNN against LSTM →](10_training_rnn_vs_lstm.ipynb)
