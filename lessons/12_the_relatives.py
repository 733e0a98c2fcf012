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
# # 12 · The relatives: GRU, peepholes, coupled gates
#
# Every course that reaches a working LSTM gets the same three questions. Is the GRU, with fewer
# parts, just as good? Which parts of the LSTM matter? And is the LSTM in PyTorch the LSTM of the
# papers? This lesson builds the GRU and the LSTM's best-known variants, races them fairly on the
# task of lesson 10, and puts what we see beside what two large studies found.
#
# **Goals**
#
# - Read the GRU's four equations beside the LSTM's six, in a diagram drawn the same way.
# - Count each cell's weights.
# - Know the variants by their names in Greff et al. (2017): peepholes, CIFG, NIG, NFG, NOG, NIAF,
#   NOAF; and know that their "vanilla" LSTM is not PyTorch's.
# - Race the LSTM, the GRU and the variants, each at its own best learning rate, over several seeds;
#   compare our results with Greff et al. (2017) and Jozefowicz et al. (2015), point by point.
# - Exercise: one GRU step forward.
#
# **Prerequisites:** [10 · Training: RNN against LSTM](10_training_rnn_vs_lstm.ipynb) (delayed recall,
# equal budgets, the forget-gate bias) and the whole LSTM of lessons 08 and 09.

# %%
import numpy as np
import matplotlib.pyplot as plt
%config InlineBackend.figure_format = "png"
plt.rcParams["figure.dpi"] = 72  # small stored figures

import dataclasses

from lstm_course.activations import sigmoid
from lstm_course.checks import check_gru_step_forward
from lstm_course.diagrams import draw_gru_cell, draw_lstm_cell
from lstm_course.gru import gru_backward, gru_forward, gru_step_forward, init_gru_params, params_from_torch
from lstm_course.reference import load_torch_reference
from lstm_course.relatives import RACE, count_params, race_claims, race_unit
from lstm_course.results import load_result
from lstm_course.variants import GREFF_NAMES, VARIANTS, add_peepholes, variant_forward
from lstm_course.lstm import init_lstm_params

rng = np.random.default_rng(0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The GRU
#
# Cho et al. (2014) proposed a gated cell with one state instead of two. Its hidden state $h_t$
# plays both the LSTM's $h_t$ and its cell $c_t$. Two gates, both sigmoid layers on
# $[h_{t-1}, x_t]$, and one candidate:
#
# $$r_t = \sigma(W_{xr} x_t + W_{hr} h_{t-1} + b_r) \qquad \text{reset gate: how much of } h_{t-1} \text{ the candidate sees}$$
# $$z_t = \sigma(W_{xz} x_t + W_{hz} h_{t-1} + b_z) \qquad \text{update gate: how much of } h_{t-1} \text{ to keep}$$
# $$n_t = \tanh\big(W_{xn} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})\big) \qquad \text{candidate}$$
# $$h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}$$
#
# Set beside the LSTM:
#
# - $z_t$ is the forget gate, and $1 - z_t$ the input gate: the two are **coupled**. The GRU can
#   only write as much as it forgets (the LSTM variant "CIFG" below does the same).
# - There is no separate cell state and no output gate: the whole state is shown at every step.
# - The reset gate is new. Near 0, the candidate ignores the past and reads only $x_t$.
#
# The bias $b_{hn}$ sits *inside* the product with $r_t$. That is PyTorch's (and cuDNN's) GRU, which
# we follow so that our numbers can be compared with `nn.GRU`; Cho et al. wrote
# $W_{hn}(r_t \odot h_{t-1})$, a slightly different cell. So the candidate has two biases that
# cannot be merged: $b_{in}$ outside the reset gate, $b_{hn}$ inside.

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 3.6))
draw_lstm_cell(ax=axes[0])
axes[0].set_title("LSTM: two states, three gates", fontsize=11)
draw_gru_cell(ax=axes[1])
axes[1].set_title("GRU: one state, two gates", fontsize=11)
plt.show()

# %% [markdown]
# The orange line is where memory travels in each cell. In the LSTM it is $c_t$, touched by a
# multiplication ($f_t$) and an addition. In the GRU it is $h_t$ itself, touched by a multiplication
# ($z_t$) and an addition ($(1 - z_t)\, n_t$). With $z_t = 1$ the GRU copies its state unchanged,
# just as an LSTM with $f_t = 1$, $i_t = 0$ does:

# %%
gru = init_gru_params(3, 4, rng)
x_seq = rng.normal(size=(2, 50, 3))
h0 = rng.normal(0, 0.5, size=(2, 4))
keep = dataclasses.replace(gru, b_z=np.full(4, 30.0))  # sigmoid(30) = 1 - 1e-13: keep everything
h, _ = gru_forward(x_seq, h0, keep)
print("largest change of h over 50 steps with z = 1 is below 1e-10:", bool(np.abs(h[:, -1] - h0).max() < 1e-10))
assert np.abs(h[:, -1] - h0).max() < 1e-10

# %% [markdown] slideshow={"slide_type": "slide"}
# ### Exercise: one GRU step
#
# Write `gru_step(x, h_prev, params)`: it returns `(h, cache)` (the cache may be `None`). The weights
# are `params.W_xr, params.W_hr, params.b_r`, the same for `z`, and `params.W_xn, params.W_hn,
# params.b_in, params.b_hn` for the candidate. `x` is (N, D), `h_prev` is (N, H).

# %%
def gru_step(x, h_prev, params):
    ### BEGIN SOLUTION
    p = params
    r = sigmoid(x @ p.W_xr + h_prev @ p.W_hr + p.b_r)
    z = sigmoid(x @ p.W_xz + h_prev @ p.W_hz + p.b_z)
    n = np.tanh(x @ p.W_xn + p.b_in + r * (h_prev @ p.W_hn + p.b_hn))
    h = (1 - z) * n + z * h_prev
    return h, None
    ### END SOLUTION


check_gru_step_forward(gru_step)

# %% [markdown]
# The package's `lstm_course.gru` has the same step (`gru_step_forward`), its backward pass, and the
# sequence functions `gru_forward` and `gru_backward`, gradient-checked in `tests/test_gru.py`. Like
# the LSTM of lesson 08, they give PyTorch's numbers. The reference arrays below were made with
# `nn.GRU` in float64, with two different non-zero biases per layer (so a merged $b_{hn}$ would show):

# %%
reference = load_torch_reference("gru_reference.npz")
worst = 0.0
for case, ref in reference.cases.items():
    params = params_from_torch(ref["weight_ih"], ref["weight_hh"], ref["bias_ih"], ref["bias_hh"])
    h, cache = gru_forward(ref["x"], ref["h0"], params)
    dx, dh0, _ = gru_backward(ref["G"], cache)
    worst = max(worst, float(np.abs(h - ref["h"]).max()), float(np.abs(dx - ref["dx"]).max()),
                float(np.abs(dh0 - ref["dh0"]).max()))
print(f"{len(reference.cases)} cases from torch {reference.torch_version.split('+')[0]}: "
      f"largest difference in h, dx and dh0 below 1e-14: {worst < 1e-14}")
assert worst < 1e-10

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Counting weights
#
# Each layer reading $[h_{t-1}, x_t]$ has $DH + H^2 + H$ weights. An LSTM has four such layers, a GRU
# three (and one bias more, $b_{hn}$), a tanh RNN one. For the race below ($D = 13$ inputs, $H = 32$
# units, and a read-out to 8 classes):

# %%
D_RACE, H_RACE, K_RACE = RACE["n_classes"] + 5, RACE["H"], RACE["n_classes"]
counts = {kind: count_params(kind, D_RACE, H_RACE, K_RACE) for kind in ("lstm", "gru", "rnn", "peepholes", "cifg")}
for kind, n in counts.items():
    print(f"{kind:>10}: {n:6,d} weights  ({n / counts['lstm']:.2f} of the LSTM's)")
assert counts["gru"] < counts["lstm"] and counts["cifg"] < counts["lstm"] < counts["peepholes"]

# %% [markdown]
# The GRU has about three quarters of the LSTM's weights at the same $H$. In the race every model
# gets the same $H$; the LSTM has more weights to learn with, and more to learn.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The LSTM's variants, by their names in the literature
#
# Greff et al. (2017, "LSTM: A Search Space Odyssey") trained eight variants on speech (TIMIT),
# handwriting (IAM) and music (JSB Chorales), 5,400 runs in all, each variant with its
# hyperparameters searched at random. The package's `lstm_course.variants` has each of them as the
# standard step with one switch turned:
#
# | ours | Greff et al. | what changes |
# |---|---|---|
# | `"full"` | NP | the standard LSTM of this course, PyTorch's: no peepholes |
# | `"peepholes"` | V (vanilla) | the gates also read the cell: $c_{t-1}$ into $i_t$ and $f_t$, $c_t$ into $o_t$ (Gers & Schmidhuber 2000) |
# | `"cifg"` | CIFG | $f_t = 1 - i_t$: coupled input and forget gates, as in the GRU |
# | `"no_input_gate"` | NIG | $i_t = 1$ |
# | `"no_forget_gate"` | NFG | $f_t = 1$: the original LSTM of 1997 had none |
# | `"no_output_gate"` | NOG | $o_t = 1$ |
# | `"no_input_activation"` | NIAF | no $\tanh$ on the candidate |
# | `"no_output_tanh"` | NOAF | $h_t = o_t \odot c_t$ (lesson 07) |
#
# **Which LSTM is "the" LSTM?** Greff et al.'s *vanilla* LSTM has peepholes, and each of their variants
# removes one part from it. PyTorch's `nn.LSTM` (and cuDNN's, and ours) has **no** peepholes: it is
# their NP. Our other variants remove their part from the cell without peepholes.
#
# A peephole is a diagonal weight: unit $j$ of a gate sees unit $j$ of the cell. With the peephole
# weights at zero (where `add_peepholes` starts them), the cell is exactly the standard one:

# %%
cell = init_lstm_params(3, 4, rng)
x_seq = rng.normal(size=(2, 6, 3))
h_full, _, _ = variant_forward(x_seq, None, None, cell, "full")
h_peep, _, _ = variant_forward(x_seq, None, None, add_peepholes(cell), "peepholes")
_, _, cifg_cache = variant_forward(x_seq, None, None, cell, "cifg")
print("zero peepholes change h by", float(np.abs(h_peep - h_full).max()))
print("CIFG: largest |f + i - 1| =", float(np.abs(cifg_cache.f + cifg_cache.i - 1).max()))
assert np.array_equal(h_peep, h_full) and np.allclose(cifg_cache.f, 1 - cifg_cache.i, atol=0)
assert set(GREFF_NAMES.values()) <= set(VARIANTS)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A fair race
#
# The task is lesson 10's delayed recall, here at gap 20 (remember the first of 22 tokens; 8 classes,
# chance 1/8). The rules:
#
# - every model has $H = 32$ units and a linear read-out of its last hidden state; the LSTM kinds start
#   with forget bias 1 (one entrant with bias 0), the GRU with all biases 0;
# - Adam, gradients clipped to norm 1, batches of 32, a **budget of 800 steps**;
# - **each model at its own best learning rate** from the grid {0.003, 0.01, 0.03}: the one that solves
#   the most seeds, then in the fewest steps (median);
# - **4 seeds**; for a seed, every model sees the same batches and is tested on the same 512
#   sequences, and every LSTM variant starts from the same weights;
# - training stops when a batch is all right and 512 validation sequences are at least 99 % right;
#   "solved" means at least 99 % on the test sequences; an unsolved run counts the whole budget.
#
# That is 11 models × 3 learning rates × 4 seeds = 132 runs, too many for a lesson: `make results`
# ran them (`lstm_course.relatives`, experiment `relatives_race`); here we read the results. One run,
# live, for a taste:

# %%
live = race_unit("gru", 1.0, 0.03, seed=0, settings={**RACE, "gap": 5, "steps": 150, "eval_size": 256})
print(f"GRU at gap 5: {'solved' if live['solved'] else 'not solved'} in {live['steps']} steps, "
      f"test accuracy {live['accuracy']:.3f}")
assert live["solved"]

# %%
race = load_result("relatives_race")
summary, param_counts = race["data"]["summary"], race["data"]["param_counts"]
print(f"{'':24s} {'weights':>7s} {'best lr':>7s} {'solved':>6s}  {'steps (min / median / max)':>26s}"
      f"  {'accuracy (min / median / max)':>30s}")
for label, s in summary.items():
    lo, med, hi = s["steps_min_median_max"]
    alo, amed, ahi = s["accuracy_min_median_max"]
    print(f"{label:24s} {param_counts[label]:7,d} {s['lr']:7g} {s['solved']:>3d}/{s['seeds']}  "
          f"{lo:8.0f} / {med:6.0f} / {hi:6.0f}  {alo:10.3f} / {amed:5.3f} / {ahi:5.3f}")

# %%
labels = list(summary)
fig, ax = plt.subplots(figsize=(7, 3.6))
for k, label in enumerate(labels):
    steps = summary[label]["steps"]
    ax.plot([k] * len(steps), steps, "o", color="#0072B2", alpha=0.35)
    ax.plot([k, k], [min(steps), max(steps)], color="#0072B2", lw=1)
    ax.plot(k, np.median(steps), "_", color="#D55E00", ms=18, mew=2.5)
ax.axhline(RACE["steps"], color="#777777", ls=":", lw=1)
ax.text(len(labels) - 0.5, RACE["steps"] * 1.02, "budget (not solved)", ha="right", fontsize=8, color="#555555")
ax.set_xticks(range(len(labels)), labels, rotation=40, ha="right", fontsize=8)
ax.set_ylabel("Adam steps to solve")
ax.set_title("Delayed recall, gap 20: each model at its best learning rate, 4 seeds (dots), median (bar)",
             fontsize=9)
plt.show()

# %% [markdown]
# Read the table from the top. **The forget-gate bias decides the standard LSTM's fate**: with bias 0
# it solved no seed, with bias 1 two of four. **The GRU solved all four.** And the fastest entrant by
# far is **NFG, the LSTM with no forget gate**: every seed in under 30 steps. NOAF, NOG, CIFG and the
# peephole cell also solved all four seeds. Each claim, checked against the numbers:

# %%
claims = race_claims(summary)
for claim, holds in claims.items():
    print("✓" if holds else "✗", claim)
assert all(claims.values())

# %% [markdown]
# Why does the cell without a forget gate win? Delayed recall starts every sequence from zero and
# never needs to forget: it needs to keep one thing for 21 steps. With $f_t = 1$ the cell keeps
# whatever the input gate wrote, exactly, and the gradient reaches the cue undiminished (lesson 03's
# product of forget gates is 1). With bias 1, $f \approx \sigma(1) = 0.73$ and
# $0.73^{20} \approx 2 \cdot 10^{-3}$: the cue and its gradient fade until training has pushed the
# forget gates up, which is what bias 3 did in lesson 10, and what the peepholes can learn to do from
# the cell itself.
#
# ## Beside the papers, point by point
#
# | finding | the paper | here (delayed recall, gap 20, 4 seeds) | |
# |---|---|---|---|
# | the forget-gate bias | Jozefowicz et al. (2015): a bias of 1 makes the LSTM much better where it lagged | bias 0: 0/4 solved; bias 1: 2/4 | agrees |
# | LSTM against GRU | Jozefowicz et al.: with bias 1 the LSTM closes most of the gap to the GRU | GRU 4/4, LSTM (bias 1) 2/4 | differs: the gap stays on this task |
# | is any variant better than vanilla? | Greff et al. (2017): none significantly better than vanilla (with peepholes) | NFG, NOAF, NOG and CIFG solved 4/4 in fewer median steps than the peephole cell | differs |
# | the forget gate and the output activation | Greff et al.: removing either (NFG, NOAF) hurts most | NFG and NOAF are the two fastest | differs, for the reason above: nothing to forget, and too few steps for $c_t$ to grow (lesson 07 showed NOAF failing on *longer* sequences than it was trained on) |
# | coupled gates | Greff et al.: CIFG costs little | CIFG 4/4 | agrees |
# | peepholes | Greff et al.: removing them (NP) costs little | NP (our LSTM) 2/4, with peepholes 4/4 | differs, weakly: 4 seeds |
#
# **What our race can and cannot say.** It is one small task, one gap, one budget, 4 seeds per model:
# enough to see large effects (no seed solved against four), not small ones. Greff et al. ran 5,400
# trainings on speech, handwriting and music, with every hyperparameter searched; Jozefowicz et al.
# evaluated over ten thousand architectures on arithmetic, XML modelling, language modelling and music.
# Their tasks run long streams where forgetting matters; ours starts from zero every time. Our race
# agrees with them where the effect is about keeping information alive (the forget-gate bias, CIFG),
# and disagrees where a part exists to *throw information away* (the forget gate) or to keep a large
# state in check (the output tanh): parts this task never needs.

# %% [markdown]
# Notes for a lecturer: the race's numbers are in `results/relatives_race.json` (with seeds, settings,
# code revision); `pytest -m slow tests/test_relatives_classic_slow.py` re-runs part of it, re-checks
# these claims on the committed numbers, and the two sharpest (GRU solves, bias 0 does not) on two
# fresh seeds.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - The GRU keeps one state, couples its input and forget gates ($1 - z_t$ and $z_t$), has no output
#   gate, and adds a reset gate inside its candidate; it has three quarters of an LSTM's weights.
#   PyTorch's form puts $b_{hn}$ inside the reset gate's product, so the candidate keeps two biases;
#   our GRU gives `nn.GRU`'s numbers to round-off.
# - Greff et al.'s vanilla LSTM has peepholes; PyTorch's and ours do not (their NP). Each variant here is
#   the standard step with one switch (`lstm_course.variants`).
# - In a fair race on delayed recall (each model at its best learning rate, equal budgets, 4 seeds), the
#   forget-gate bias mattered as Jozefowicz et al. found, the GRU beat the standard LSTM, and the cell
#   *without* a forget gate won outright: the task never needs to forget. Which parts of the LSTM matter
#   depends on what the task asks of memory.
#
# [← Previous: 11 · An LSTM on real text](11_lstm_on_real_text.ipynb) ·
# [Next: 13 · The classic experiments →](13_the_classic_experiments.ipynb)
