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
# # 02 · Why plain RNNs forget
#
# In lesson 01 an RNN learnt to bridge a gap of 2 steps in a few dozen training steps. Long gaps are
# a different story, and the reason is not in the forward pass: it is in the training signal. To
# learn that the answer depends on a cue 30 steps back, the gradient of the loss has to travel those
# 30 steps back along the main line, and on the way it is multiplied by the same kind of matrix at
# every step. A product of many matrices tends to shrink to nothing or to blow up. We measure both.
# The problem was first analysed by Hochreiter (1991) in his diploma thesis, and found independently
# by Bengio, Simard & Frasconi (1994); it is the reason the LSTM was invented.
#
# **Goals**
#
# - Write backpropagation through time (BPTT) for an RNN as a product of one Jacobian per step.
# - Measure $\lVert \partial h_T / \partial h_{T-k} \rVert$ against the lag $k$ when the largest
#   singular value of $W_{hh}$ is below and above 1: vanishing and exploding gradients.
# - Understand the bound of Pascanu, Mikolov & Bengio (2013), and why it differs for $\tanh$ and
#   the sigmoid.
# - Tame exploding gradients by clipping the gradient norm.
# - Measure an RNN's accuracy against the gap at a fixed training budget.
# - Exercises: the backward pass of one RNN step, and gradient-norm clipping.
#
# **Prerequisites:** [01 · Sequences and RNNs](01_sequences_and_rnns.ipynb); the chain rule; what a
# singular value is (the most a matrix can stretch a vector).

# %%
import numpy as np
import matplotlib.pyplot as plt
%config InlineBackend.figure_format = "png"
plt.rcParams["figure.dpi"] = 72  # small stored figures

from lstm_course.activations import sigmoid, sigmoid_grad, tanh_grad
from lstm_course.analysis import gradient_bound, hidden_gradient_norms, largest_singular_value
from lstm_course.checks import check_clip_grad_norm, check_rnn_step_backward
from lstm_course.diagrams import draw_unrolled_rnn
from lstm_course.experiments import gap_sweep
from lstm_course.optim import clip_grad_norm
from lstm_course.plots import PALETTE, plot_accuracy_vs_gap, plot_gradient_norms_vs_lag
from lstm_course.rnn import init_rnn_params, rnn_backward, rnn_forward
from lstm_course.tasks import delayed_recall
from lstm_course.tree import tree_global_norm, tree_leaves

np.set_printoptions(precision=3, suppress=True)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Backpropagation through time
#
# Unrolled, an RNN is a deep feed-forward network whose layers all share one set of weights. So we
# train it as we would any deep network: run it forward, then send the gradient of the loss backward
# through every copy with the chain rule. That is all "backpropagation through time" means.

# %%
ax = draw_unrolled_rnn(steps=5, folded=False)
x_left, x_right = ax.get_xlim()
ax.set_ylim(-2.9, 1.9)  # room underneath for the backward pass
ax.annotate("", xy=(x_left + 1.0, -2.35), xytext=(x_right - 0.5, -2.35),
            arrowprops=dict(arrowstyle="->", color="#D55E00", lw=2, ls="--"))
ax.text((x_left + x_right) / 2, -2.75, "backward: the gradient travels from $h_5$ back to $h_0$",
        color="#D55E00", ha="center", fontsize=10)
plt.show()

# %% [markdown]
# Take a loss $L$ that reads only the last hidden state $h_T$ (as in delayed recall). Going back one
# step, from $h_t = \tanh(a_t)$ with $a_t = x_t W_{xh} + h_{t-1} W_{hh} + b_h$:
#
# $$\frac{\partial L}{\partial h_{t-1}} = \left(\frac{\partial L}{\partial h_t} \odot (1 - h_t^2)\right) W_{hh}^\top .$$
#
# Written with the Jacobian $J_t = \partial h_t / \partial h_{t-1} = \operatorname{diag}(1 - h_t^2)\,
# W_{hh}^\top$, going back $k$ steps is a product of $k$ of them:
#
# $$\frac{\partial h_T}{\partial h_{T-k}} = J_T \, J_{T-1} \cdots J_{T-k+1}.$$
#
# The gradient that reaches step $T-k$ is the upstream gradient times this product. Let us build
# the product by hand for one sequence and compare its size with the package's measurement,
# `analysis.hidden_gradient_norms`, which gets the same Jacobians by calling the package's
# `rnn_step_backward` once per step.

# %%
rng = np.random.default_rng(0)
D, H, T = 13, 8, 20
params = init_rnn_params(D, H, rng)
x, _ = delayed_recall(1, gap=T - 2, rng=rng)  # one sequence, shape (1, T, D)
h, _ = rnn_forward(x, None, params)  # h_1 .. h_T, shape (1, T, H)

by_hand = [1.0]  # lag 0: dh_T/dh_T is the identity
J = np.eye(H)
for k in range(1, T + 1):
    t = T - k + 1  # the step whose Jacobian we multiply in (h[:, t - 1] is h_t)
    J = J @ (np.diag(1 - h[0, t - 1] ** 2) @ params.W_hh.T)
    by_hand.append(np.linalg.norm(J, 2))  # spectral norm: the largest singular value

package = hidden_gradient_norms(params, x)[0]  # shape (T + 1,), indexed by lag
rel = float(np.max(np.abs(package - by_hand) / np.array(by_hand)))
print(f"largest singular value of W_hh: {largest_singular_value(params.W_hh):.3f}")
print("||dh_T/dh_(T-k)|| for k = 0, 5, 10, 20:", [f"{by_hand[k]:.1e}" for k in (0, 5, 10, 20)])
print(f"by hand vs the package: relative difference below 1e-10: {rel < 1e-10}")
assert rel < 1e-10, "the Jacobian product by hand is what hidden_gradient_norms measures"
assert by_hand[20] < 1e-3, "20 steps back, less than a thousandth is left"

# %% [markdown]
# Twenty steps back, less than a thousandth of the gradient is left, and these are ordinary weights,
# initialised the way PyTorch initialises an `nn.RNN`. Before we see why, write the step that does the
# shrinking.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise: backward through one RNN step
#
# Given `dh`, the whole gradient on $h_t$ (shape $(N, H)$), and the `cache` that `rnn_step_forward`
# returned (with fields `x`, `h_prev`, `h`, `params`), return `(dx, dh_prev, dparams)`:
#
# - first through the $\tanh$: `da = dh * (1 - h**2)`;
# - then the three places $a_t$ came from: `dx = da @ W_xh.T`, `dh_prev = da @ W_hh.T`;
# - and the weights, summed over the batch: `x.T @ da`, `h_prev.T @ da`, `da.sum(axis=0)`, returned
#   as an `RNNParams` (or a dict with keys `W_xh`, `W_hh`, `b_h`).

# %%
def rnn_step_backward_mine(dh, cache):
    """Backward through one tanh RNN step: dh (N, H) -> (dx (N, D), dh_prev (N, H), dparams)."""
    ### BEGIN SOLUTION
    x, h_prev, h, p = cache.x, cache.h_prev, cache.h, cache.params
    da = dh * (1 - h ** 2)
    dparams = {"W_xh": x.T @ da, "W_hh": h_prev.T @ da, "b_h": da.sum(axis=0)}
    return da @ p.W_xh.T, da @ p.W_hh.T, dparams
    ### END SOLUTION


check_rnn_step_backward(rnn_step_backward_mine)

# %% [markdown]
# `dh_prev = da @ W_hh.T` is the line that runs once per step, $T$ times in a row, on the way back.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise: backpropagation through the whole sequence
#
# Now the whole of BPTT, with no code to copy: you derive it from two facts.
#
# 1. $h_t$ is used twice: by the loss at step $t$ (its gradient `dh[:, t]` arrives from outside) and
#    by step $t+1$, through $a_{t+1} = x_{t+1} W_{xh} + h_t W_{hh} + b_h$. The whole gradient on
#    $h_t$ is the sum of the two, and the second part only exists once step $t+1$ has been undone:
#    so the loop runs from $t = T$ down to $1$.
# 2. $W_{xh}$, $W_{hh}$ and $b_h$ are the *same* arrays at every step, so their gradient is the sum
#    of what each step contributes.
#
# Write `rnn_backward_mine(dh, cache)`: `dh` has shape $(N, T, H)$ (the gradient on every $h_t$ from
# the outputs only) and `cache` is what `rnn_forward` returns, time-major: `cache.x[t]` $(N, D)$,
# `cache.h_prev[t]` $= h_{t-1}$ and `cache.h[t]` $= h_t$, both $(N, H)$, and `cache.params`. Return
# `(dx, dh0, dparams)` with `dx` of shape $(N, T, D)$, `dh0` the gradient on the initial state, and
# `dparams` summed over the batch and over time. Your step function above (or the package's
# `rnn_step_backward`) may do the work inside the loop.

# %%
from lstm_course.checks import check_rnn_backward


def rnn_backward_mine(dh, cache):
    """BPTT for a tanh RNN: dh (N, T, H) -> (dx (N, T, D), dh0 (N, H), dparams summed over time)."""
    ### BEGIN SOLUTION
    T, N, D = cache.x.shape
    p = cache.params
    dx = np.zeros((N, T, D))
    dW_xh, dW_hh, db_h = np.zeros_like(p.W_xh), np.zeros_like(p.W_hh), np.zeros_like(p.b_h)
    dh_next = np.zeros((N, p.H))  # what step t+1 sends back to h_t; nothing after the last step
    for t in reversed(range(T)):
        da = (dh[:, t] + dh_next) * (1 - cache.h[t] ** 2)  # the whole gradient on h_t, through tanh
        dx[:, t] = da @ p.W_xh.T
        dW_xh += cache.x[t].T @ da  # +=: every step uses the same weights
        dW_hh += cache.h_prev[t].T @ da
        db_h += da.sum(axis=0)
        dh_next = da @ p.W_hh.T
    return dx, dh_next, {"W_xh": dW_xh, "W_hh": dW_hh, "b_h": db_h}
    ### END SOLUTION


check_rnn_backward(rnn_backward_mine)

# %% [markdown]
# The check also knows the classic slips (what step $t+1$ sends back left out, the weights' gradient
# kept from one step only, $h_t$ used where $h_{t-1}$ belongs) and names them. The rest of this
# lesson uses the package's `rnn_backward`, which does the same.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Below 1 and above 1
#
# Each factor $J_t = \operatorname{diag}(1 - h_t^2)\, W_{hh}^\top$ can stretch a vector by at most
# $\lambda_1$, the largest singular value of $W_{hh}$ (the $\tanh$ slope $1 - h_t^2$ is never above 1).
# To see what $\lambda_1$ does, we give $W_{hh}$ a random orthogonal direction times a scale $s$, so
# that *all* its singular values equal $s$ (`init_rnn_params(..., recurrent_scale=s)`), and measure
# $\lVert \partial h_T / \partial h_{T-k} \rVert$ for every lag $k$ up to 60 on four delayed-recall
# sequences. We add the ordinary initialisation for comparison.

# %%
D, H, T = 13, 32, 60
x, _ = delayed_recall(4, gap=T - 2, rng=rng)  # (4, 60, 13)
lags = np.arange(T + 1)
models = {f"s = {s}": init_rnn_params(D, H, rng, recurrent_scale=s) for s in (0.5, 0.9, 1.5, 2.0)}
models["ordinary init"] = init_rnn_params(D, H, rng)
norms = {label: hidden_gradient_norms(p, x) for label, p in models.items()}  # each (4, T + 1)

print(f"{'W_hh':>14} {'lambda_1':>9} {'lag 10':>9} {'lag 30':>9} {'lag 60':>9}")
for label, p in models.items():
    med = np.median(norms[label], axis=0)
    print(f"{label:>14} {largest_singular_value(p.W_hh):9.2f} {med[10]:9.1e} {med[30]:9.1e} {med[60]:9.1e}")

# %%
fig, ax = plt.subplots(figsize=(7, 3.6))
plot_gradient_norms_vs_lag(lags, norms, ax=ax)
for k, label in enumerate(["s = 0.5", "s = 0.9"]):  # the bound (gamma * lambda_1)^k, dashed
    ax.plot(lags, gradient_bound(models[label].W_hh, lags), ls="--", lw=1, color=PALETTE[k])
ax.set_ylim(1e-20, 1e9)
ax.set_ylabel(r"$\|\partial h_T / \partial h_{T-k}\|$")
ax.set_xlabel("lag k (steps back from the loss)")
ax.legend(frameon=False, fontsize=8, loc="lower left", ncol=2)
ax.set_title("tanh RNN, H = 32 (dashed: the bound $\\lambda_1^k$)", fontsize=10)
plt.show()

# %% [markdown]
# On a logarithmic axis, geometric decay is a straight line going down, and geometric growth one
# going up:
#
# - with $s = 0.5$ and $s = 0.9$ the gradient **vanishes**, and never rises above the dashed line
#   $\lambda_1^k$;
# - with $s = 1.5$ and $s = 2$ it **explodes**: 60 steps back it is hundreds to hundreds of
#   thousands of times larger than at the loss;
# - the ordinary initialisation has $\lambda_1$ a little *above* 1, and its gradient still vanishes.
#   A few of its singular values exceed 1, and only barely (printed below); most are well below 1,
#   and the $\tanh$ slopes, below 1 too, shrink the gradient further at every step.
#
# Every one of these statements is checked here:

# %%
for label, p in models.items():
    bound = gradient_bound(p.W_hh, lags)
    assert np.all(norms[label] <= bound * (1 + 1e-9)), f"{label}: the bound lambda_1^k holds at every lag"
med60 = {label: float(np.median(n[:, 60])) for label, n in norms.items()}
assert med60["s = 0.5"] < 1e-15 and med60["s = 0.9"] < 1e-3, "below 1: the gradient vanishes"
assert med60["s = 1.5"] > 1e2 and med60["s = 2.0"] > 1e4, "well above 1: the gradient explodes"
assert largest_singular_value(models["ordinary init"].W_hh) > 1 and med60["ordinary init"] < 1e-8, \
    "lambda_1 > 1 does not force an explosion"
sv = np.linalg.svd(models["ordinary init"].W_hh, compute_uv=False)  # singular values, largest first
print(f"ordinary init: {(sv > 1).sum()} of {H} singular values above 1 ({', '.join(f'{v:.3f}' for v in sv[sv > 1])}), "
      f"median {np.median(sv):.2f}")
assert 1 <= (sv > 1).sum() <= H // 8 and sv[0] < 1.2 and np.median(sv) < 0.8, "a few, barely above 1; most below"
print("all claims hold")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The bound of Pascanu, Mikolov & Bengio (2013)
#
# Write the activation as $\phi$ and let $\gamma$ bound its slope, $|\phi'| \le \gamma$. Then every
# factor obeys $\lVert J_t \rVert \le \lVert \operatorname{diag}(\phi'(a_t)) \rVert \,
# \lVert W_{hh} \rVert \le \gamma \lambda_1$, and so
#
# $$\left\lVert \frac{\partial h_T}{\partial h_{T-k}} \right\rVert \le (\gamma \lambda_1)^k .$$
#
# Pascanu, Mikolov & Bengio (2013) draw the two conclusions:
#
# - $\lambda_1 < 1/\gamma$ is **sufficient** for the gradient to vanish, geometrically, whatever the
#   inputs;
# - $\lambda_1 > 1/\gamma$ is only **necessary** for it to explode (the ordinary initialisation above
#   has $\lambda_1 > 1$ and vanishes all the same).
#
# What is $\gamma$? The largest slope of the activation: 1 for $\tanh$ (at 0), only $1/4$ for the
# sigmoid (also at 0).

# %%
z = np.linspace(-6, 6, 12001)
gamma_tanh, gamma_sigmoid = float(tanh_grad(z).max()), float(sigmoid_grad(z).max())
print(f"largest slope of tanh: {gamma_tanh:.4f};  of the sigmoid: {gamma_sigmoid:.4f}")
assert abs(gamma_tanh - 1) < 1e-12 and abs(gamma_sigmoid - 0.25) < 1e-12

# %% [markdown]
# So a sigmoid RNN, $h_t = \sigma(a_t)$, is guaranteed to lose its gradient as long as
# $\lambda_1 < 4$. Let us check with $\lambda_1 = 3$, far above 1: each factor is now
# $J_t = \operatorname{diag}(\sigma'(a_t))\, W_{hh}^\top$, and the bound is $(3/4)^k$.

# %%
p3 = init_rnn_params(D, H, rng, recurrent_scale=3.0)
x1 = x[:1]  # one sequence
h_t = np.zeros(H)
J = np.eye(H)
states = []
for t in range(T):  # forward: a sigmoid RNN with the same weights
    a = x1[0, t] @ p3.W_xh + h_t @ p3.W_hh + p3.b_h
    h_t = sigmoid(a)
    states.append(a)
sig_norms = [1.0]
for a in reversed(states):  # backward: multiply in one Jacobian per step
    J = J @ (np.diag(sigmoid_grad(a)) @ p3.W_hh.T)
    sig_norms.append(np.linalg.norm(J, 2))
sig_norms = np.array(sig_norms)
sig_bound = gradient_bound(p3.W_hh, lags, gamma=0.25)
print(f"sigmoid RNN, lambda_1 = {largest_singular_value(p3.W_hh):.1f}: ||dh_T/dh_(T-k)|| at k = 10, 30, 60:",
      [f"{sig_norms[k]:.1e}" for k in (10, 30, 60)])
print(f"the bound (3/4)^k at k = 60: {sig_bound[60]:.1e}")
assert np.all(sig_norms <= sig_bound * (1 + 1e-9)) and sig_norms[60] < 1e-7

# %% [markdown] slideshow={"slide_type": "notes"}
# This is one reason the sigmoid fell out of use as the activation of the *hidden state*: with slopes
# of at most 1/4, a sigmoid network needs very large weights before a gradient can even survive. The
# LSTM still uses sigmoids, but for its gates, which multiply the state instead of producing it
# (lessons 03 to 07).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exploding gradients: clip them
#
# An exploding gradient does its damage in one step: the update $-\eta\, \nabla L$ is as huge as the
# gradient, and the weights land somewhere the loss is worse. Pascanu et al. (2013) proposed a simple
# fix: if the norm of the whole gradient (all parameters together) exceeds a threshold, scale it
# down to the threshold. The direction is kept; only the step length is limited.
#
# $$g \leftarrow g \cdot \frac{\text{max\_norm}}{\lVert g \rVert} \quad \text{if } \lVert g \rVert >
# \text{max\_norm}, \qquad \lVert g \rVert = \sqrt{\textstyle\sum_{\text{arrays}} \sum g^2}.$$

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise: gradient-norm clipping
#
# `grads` is a list of arrays (one per parameter). Return a **new** list, scaled as above when the
# global norm is above `max_norm` and unchanged (copied) otherwise, and the global norm *before*
# clipping.

# %%
def clip_gradients(grads, max_norm):
    """Scale a list of gradient arrays so that their global norm is at most max_norm.

    Returns (clipped, norm): a new list of arrays, and the global norm before clipping."""
    ### BEGIN SOLUTION
    norm = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
    scale = max_norm / norm if norm > max_norm else 1.0
    return [g * scale for g in grads], norm
    ### END SOLUTION


check_clip_grad_norm(clip_gradients)

# %% [markdown]
# The package's `optim.clip_grad_norm` does the same on a whole parameter structure, and `train`
# applies it at every step when given `clip_norm`. Here it is on the exploding RNN ($s = 2$): the
# gradient of a loss on the last hidden state, backpropagated through 60 steps.

# %%
p2 = models["s = 2.0"]
h, cache = rnn_forward(x, None, p2)
dh = np.zeros_like(h)
dh[:, -1] = 1.0  # the loss sum(h_T): a gradient of ones on the last state only
_, _, grads = rnn_backward(dh, cache)
clipped, norm_before = clip_grad_norm(grads, max_norm=1.0)
flat = np.concatenate([g.ravel() for g in tree_leaves(grads)])
flat_clipped = np.concatenate([g.ravel() for g in tree_leaves(clipped)])
cosine = float(flat @ flat_clipped / (np.linalg.norm(flat) * np.linalg.norm(flat_clipped)))
print(f"gradient norm before clipping: {norm_before:.2e}")
print(f"after: {tree_global_norm(clipped):.3f};  same direction (cosine): {cosine:.6f}")
assert norm_before > 1e3 and abs(tree_global_norm(clipped) - 1.0) < 1e-12 and cosine > 1 - 1e-12

# %% [markdown]
# Clipping handles the *exploding* half of the problem cheaply, which is why every training run in
# this course clips at 1. Nothing so simple exists for the *vanishing* half. Scaling the gradient up
# would not help: what is tiny is the *share* of the gradient that comes from the distant cue, next
# to the share from recent inputs, and a uniform rescaling leaves that ratio unchanged.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What vanishing does to learning
#
# Now the consequence. We train an RNN (ordinary initialisation, $H = 32$) on delayed recall at
# several gaps, always with the same budget: at most 150 Adam steps (learning rate $3 \cdot 10^{-3}$,
# clipping at 1, batches of 32; training stops early once a whole batch is right), and score each
# model on 512 new sequences. Three random seeds per gap, because single runs vary a lot. This is
# `experiments.gap_sweep`, which lesson 10 uses too.

# %%
gaps = (2, 4, 8, 16, 32)
sweep = gap_sweep({"tanh RNN": {"kind": "rnn"}}, gaps, seeds=(0, 1, 2), steps=150, H=32, lr=3e-3,
                  clip=1.0, batch_size=32, target_accuracy=1.0, eval_size=512)
acc = sweep.accuracy()["tanh RNN"]  # shape (3 seeds, 5 gaps)
chance = 1 / 8
print("gap:           ", "  ".join(f"{g:5d}" for g in gaps))
for s, row in zip(sweep.seeds, acc):
    print(f"seed {s} accuracy:", "  ".join(f"{a:5.2f}" for a in row))
print("mean accuracy: ", "  ".join(f"{a:5.2f}" for a in acc.mean(axis=0)))

# %%
fig, ax = plt.subplots(figsize=(6, 3))
plot_accuracy_vs_gap(gaps, {"tanh RNN (mean of 3 seeds, band: min to max)": acc}, chance=chance, ax=ax)
ax.set_xscale("log", base=2)
ax.set_xticks(gaps, [str(g) for g in gaps])
ax.set_title("at most 150 Adam steps at every gap", fontsize=10)
plt.show()

# %%
assert acc[:, :2].min() >= 0.95, "gaps of 2 and 4 are learnt by every seed within the budget"
assert acc[:, -1].max() <= chance + 0.075, "at gap 32 every seed stays at chance"
assert acc[:, -1].mean() < acc[:, 0].mean() - 0.8, "accuracy falls toward chance as the gap grows"
probe = init_rnn_params(D, 32, rng)  # a fresh RNN, initialised as the sweep's were
xg, _ = delayed_recall(8, gap=32, rng=rng)
signal = np.median(hidden_gradient_norms(probe, xg), axis=0)  # by lag
print("at initialisation, ||dh_T/dh_cue|| (lag = gap + 1) is about:",
      ", ".join(f"gap {g}: {signal[g + 1]:.0e}" for g in gaps))
assert signal[3] > 0.1 and signal[33] < 1e-5, "the cue's gradient: sizeable at gap 2, tiny at gap 32"

# %% [markdown]
# Up to a gap of 4, every seed learns the task within a few dozen steps. Around gaps of 8 to 16 the
# result depends on the seed: some runs find the cue, some get stuck (an accuracy near 0.25 means the
# model tells apart only a couple of cues). At a gap of 32 no seed does better than chance. The
# last printed line says why: at initialisation the gradient that reaches the cue is still a sizeable
# fraction after 3 steps, but far below $10^{-5}$ after 33, so the weights that read the cue hardly
# move.
#
# The honest reading: this is about a **fixed budget**. Vanishing gradients make long gaps slow and
# unreliable to learn, not impossible: with a larger budget a plain RNN often gets further (in lesson
# 10, with 500 steps and its best learning rate, a plain RNN solves a gap of 20 on some seeds). The cure the rest of the course studies
# is to change the architecture so that a gradient has a path along which it does not have to shrink.

# %% [markdown] slideshow={"slide_type": "notes"}
# If students ask "why not just use a larger learning rate?": the gradient on the cue's weights is
# millions of times smaller than the gradient on recent inputs, so a learning rate large enough for
# the first makes the second diverge. Adam rescales per parameter, which helps a little, but the
# cue's gradient is also swamped by noise from the distractors. The problem is the ratio, not the
# scale.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - Backpropagation through time is the chain rule on the unrolled network: going back $k$ steps
#   multiplies the gradient by $k$ Jacobians $J_t = \operatorname{diag}(\phi'(a_t))\, W_{hh}^\top$.
# - Pascanu, Mikolov & Bengio (2013): $\lVert \partial h_T / \partial h_{T-k} \rVert \le (\gamma
#   \lambda_1)^k$, so $\lambda_1 < 1/\gamma$ guarantees vanishing ($\gamma = 1$ for $\tanh$, $1/4$
#   for the sigmoid); $\lambda_1 > 1/\gamma$ is necessary, not sufficient, for exploding. Measured
#   above: vanishing for $s = 0.5, 0.9$ and for the ordinary initialisation, exploding for $s = 1.5,
#   2$, and a sigmoid RNN with $\lambda_1 = 3$ still vanishing.
# - Exploding gradients are tamed by clipping the global gradient norm; vanishing ones are not.
# - At a fixed budget of 150 Adam steps, an RNN learns gaps of 2 and 4 in every seed and a gap of 32
#   in none: its accuracy falls to chance as the gap grows.
#
# [← Previous: 01 · Sequences and RNNs](01_sequences_and_rnns.ipynb) ·
# [Next: 03 · The cell state →](03_the_cell_state.ipynb)
