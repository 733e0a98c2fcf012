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
# # 10 · Training: RNN against LSTM
#
# The notes began with a promise: once a clue sits far back from the word that needs it, a plain
# RNN struggles and an LSTM copes. Nine lessons later we can test it.
# We race tanh RNNs against LSTMs on the same task, at gaps of 20, 40 and 80 steps, under rules that
# give each model its best chance, and then look inside LSTMs trained until they solve the task.
#
# **Goals**
#
# - Run a fair race: every model at its own best learning rate, the same budget of optimizer steps,
#   an RNN with as many units and one with as many parameters as the LSTM, four seeds each.
# - Read learning curves to tell "not yet" from "stuck".
# - See what the forget gate's initial bias does to the result.
# - Look at the gates of trained LSTMs, on four seeds: what holds on all of them, and what varies.
# - Say precisely what this experiment shows, and what it does not.
# - Exercises: the loss every model is trained with, softmax cross-entropy, and its gradient; one
#   training step.
#
# **Prerequisites:** [09 · Backpropagation through an LSTM](09_backprop_through_lstm.ipynb); the
# delayed-recall task (lesson 01), why RNN gradients vanish (lesson 02), and the forget-gate bias
# (lesson 04).

# %%
import numpy as np
import matplotlib.pyplot as plt
%config InlineBackend.figure_format = "png"
plt.rcParams["figure.dpi"] = 72  # small stored figures

from lstm_course.activations import sigmoid
from lstm_course.analysis import gradient_routes
from lstm_course.checks import check_softmax_cross_entropy
from lstm_course.experiments import lstm_gates_over_sequence, model_from_arrays, race_unit
from lstm_course.lstm import init_lstm_params
from lstm_course.plots import PALETTE, plot_accuracy_vs_gap, plot_gates_over_time
from lstm_course.results import load_checkpoint, load_result
from lstm_course.tasks import delayed_recall

rng = np.random.default_rng(0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The task and the rules
#
# "I grew up in France … I speak fluent *French*." In delayed recall, each sequence opens with a cue,
# one of 8 tokens (France), then `gap` distractor tokens that carry no information, then a query
# token (the prompt "I speak fluent …"). At the query the model must name the cue. Guessing is right
# one time in 8.

# %%
x, y = delayed_recall(3, gap=5, rng=rng)
names = [f"C{k}" for k in range(8)] + ["d0", "d1", "d2", "d3"] + ["?"]  # cues, distractors, query
for n in range(3):
    tokens = [names[k] for k in x[n].argmax(axis=1)]
    print(" ".join(f"{t:>2}" for t in tokens), "  answer:", f"C{y[n]}")
print("x:", x.shape, "one-hot (N, T, D) with T = gap + 2")

# %% [markdown]
# The rules (`experiments.RACE`, run by `make results` into `results/lesson10_race.json`):
#
# - **Four models**, each one layer with a linear read-out of the last hidden state: an LSTM of 64
#   units whose forget gates start with bias 1 ($f \approx 0.73$), the same LSTM with bias 3
#   ($f \approx 0.95$), a tanh RNN of 64 units (as many units), and a tanh RNN of 133 units (about as
#   many parameters as the LSTM, printed below).
# - **The same budget**: at most 500 Adam steps, a fresh batch of 64 sequences at every step, the
#   gradient clipped to norm 1 (Pascanu, Mikolov & Bengio 2013). Training stops earlier once a batch
#   is entirely right *and* 256 validation sequences are at least 95 % right.
# - **Each model at its own best learning rate**, chosen separately at each gap from
#   $\{3 \cdot 10^{-4}, 10^{-3}, 3 \cdot 10^{-3}, 10^{-2}\}$ on the validation sequences of a selection
#   run (its own seed, 10, and half the budget): the rate that solved the validation sequences in the
#   fewest steps, or else the highest validation accuracy.
# - **Four seeds**: each model then trains at its chosen rate with seeds 0, 1, 2 and 3. The score is
#   the accuracy on 512 test sequences that nothing was chosen on; "solved" means at least 95 %.
# - For a given seed and gap every model sees the same batches and is tested on the same sequences.

# %%
race = load_result("lesson10_race")
S, R = race["settings"], race["data"]
MODELS, GAPS, SEEDS, STEPS = list(S["models"]), tuple(S["gaps"]), race["seeds"], S["steps"]
print(f"seeds {SEEDS}, gaps {GAPS}, budget {STEPS} Adam steps, learning rates {S['lr_grid']}")
for m in MODELS:
    print(f"{m:>20}: {R['param_count'][m]:>6} parameters")
lstm_params = R["param_count"]["LSTM, forget bias 3"]
assert abs(R["param_count"]["tanh RNN, 133 units"] / lstm_params - 1) < 0.01, "about as many parameters"

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise: the loss
#
# Both models end in 8 numbers per sequence, the logits $z$, one per class. Softmax turns them into
# probabilities, $p_k = e^{z_k} / \sum_j e^{z_j}$, and the loss is the cross-entropy: the mean over
# the batch of $-\log p_{y}$ for the right class $y$. Its gradient is where every backward pass of
# lesson 09 starts:
#
# $$\frac{\partial L}{\partial z_{nk}} = \frac{1}{N}\left(p_{nk} - [k = y_n]\right).$$
#
# Write `softmax_cross_entropy(logits, targets)` for logits $(N, K)$ and integer targets $(N,)$,
# returning `(loss, dlogits)`. One trap: $e^{1000}$ overflows. Subtracting each row's maximum from
# its logits changes no probability and keeps every exponent at most 0. A second trap sits at the
# other end: when the right class's logit is far below the others, $p_y$ underflows to exactly 0 and
# $-\log 0 = \infty$. So take the logarithm before exponentiating, with the log-softmax
# $\log p_k = z_k - \operatorname{logsumexp}(z)$, where
# $\operatorname{logsumexp}(z) = \max_j z_j + \log \sum_j e^{z_j - \max_j z_j}$: it never takes the
# log of 0. (The check accepts both ways on its cases, where no $p_y$ underflows.)

# %%
def softmax_cross_entropy(logits, targets):
    """Mean softmax cross-entropy and its gradient: logits (N, K), targets (N,) -> (loss, dlogits)."""
    ### BEGIN SOLUTION
    N = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(N)
    loss = -log_p[rows, targets].mean()
    dlogits = np.exp(log_p)
    dlogits[rows, targets] -= 1.0
    return loss, dlogits / N
    ### END SOLUTION


check_softmax_cross_entropy(softmax_cross_entropy)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise: one training step
#
# Everything a training loop does, once. Write `train_step(params, x, y, lr, max_norm)` for a
# model of the package (`model.SequenceModelParams`: an LSTM cell, then a read-out $y = h_T W_{out} +
# b_{out}$ of the last hidden state), a batch $x$ of shape $(N, T, D)$ and classes $y$ of shape $(N,)$.
# In order:
#
# 1. the forward pass, `model.model_forward(params, x)`, gives the logits $(N, K)$ and a cache;
# 2. the loss: your `softmax_cross_entropy` above (or `losses.softmax_cross_entropy`), and its
#    gradient on the logits;
# 3. the backward pass, `model.model_backward(dlogits, cache)`, gives a gradient for every parameter
#    (a `SequenceModelParams` of gradients);
# 4. clip the gradients to a global norm of at most `max_norm` (lesson 02's `optim.clip_grad_norm`);
# 5. one step of gradient descent on every parameter, $p \leftarrow p - \text{lr}\, g$, into *new*
#    arrays (`tree.tree_map` applies a function to every array of a tree, or two trees side by side).
#
# Return `(new_params, loss, grad_norm)`: the loss before the update and the gradient norm before
# clipping, the two numbers a training log shows. Leave `params` unchanged. The check compares one step
# with the package's own on small problems, with and without clipping.

# %%
from lstm_course import losses
from lstm_course.checks import check_train_step
from lstm_course.model import model_backward, model_forward
from lstm_course.optim import clip_grad_norm
from lstm_course.tree import tree_map


def train_step(params, x, y, lr, max_norm):
    """One step: loss, gradients, clipping, p - lr * g. Returns (new_params, loss, grad_norm)."""
    ### BEGIN SOLUTION
    logits, cache = model_forward(params, x)  # (N, K)
    loss, dlogits = losses.softmax_cross_entropy(logits, y)
    grads = model_backward(dlogits, cache)
    clipped, grad_norm = clip_grad_norm(grads, max_norm)
    new_params = tree_map(lambda p, g: p - lr * g, params, clipped)
    return new_params, loss, grad_norm
    ### END SOLUTION


check_train_step(train_step)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## One cell of the race, live
#
# The whole race takes minutes, so `make results` runs it and this lesson reads the results file. One
# cell we run here: gap 20, seed 0, the LSTM with forget bias 3 and the 64-unit RNN, each at the rate
# chosen for it. `experiments.race_unit` is the very function `make results` calls for every cell,
# so the live numbers must match the stored ones.

# %%
live = {}
for m in ("LSTM, forget bias 3", "tanh RNN, 64 units"):
    lr = R["chosen_lr"][m]["20"]
    live[m] = race_unit(S["models"][m], 20, 0, lr, STEPS, S)
    stored = R["runs"][m]["20"][0]
    print(f"{m}, learning rate {lr:g}: accuracy {live[m]['accuracy']:.3f} in {live[m]['steps']} steps "
          f"(stored: {stored['accuracy']:.3f} in {stored['steps']})")
    assert live[m]["solved"] == stored["solved"] and abs(live[m]["accuracy"] - stored["accuracy"]) < 0.05

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The race
#
# First the learning rates the selection chose, then the test accuracy of every model at every gap
# over the four seeds: lowest / median / highest, and on how many seeds it solved the task.

# %%
acc = {m: np.array([[R["runs"][m][str(g)][k]["accuracy"] for g in GAPS] for k in range(len(SEEDS))])
       for m in MODELS}  # model -> (seeds, gaps)
solved = {m: acc[m] >= S["train"]["solved_at"] for m in MODELS}
for m in MODELS:
    for k, g in enumerate(GAPS):
        a = acc[m][:, k]
        print(f"{m:>20}, gap {g:>2}: learning rate {R['chosen_lr'][m][str(g)]:<6g} accuracy "
              f"{a.min():.3f} / {np.median(a):.3f} / {a.max():.3f}, solved on {solved[m][:, k].sum()} of {len(SEEDS)}")

# %%
fig, ax = plt.subplots(figsize=(8, 3.4))
plot_accuracy_vs_gap(GAPS, acc, chance=1 / 8, ax=ax)
ax.set_xscale("log")
ax.minorticks_off()
ax.set_xticks(GAPS, [str(g) for g in GAPS])
ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
fig.tight_layout()
ax.set_title(f"test accuracy, at most {STEPS} Adam steps (mean of 4 seeds, band: min to max)", fontsize=10)
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Not yet, or stuck?
#
# A failure within a budget could just mean "not yet". The learning curves tell the two apart: the
# batch accuracy of every run, averaged over windows of 10 steps, at the longest gaps. A run that
# stops early has solved the task; a run that goes on to the end of the budget is one that had not.

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3.2), sharey=True)
for ax, g in zip(axes, (40, 80)):
    for j, m in enumerate(MODELS):
        for k, run in enumerate(R["runs"][m][str(g)]):
            steps = S["curve_every"] * (np.arange(len(run["curve_accuracy"])) + 0.5)
            ax.plot(steps, run["curve_accuracy"], color=PALETTE[j], lw=1.2, alpha=0.8, label=m if k == 0 else None)
    ax.axhline(1 / 8, color="#777777", ls="--", lw=1)
    ax.set_title(f"gap {g}", fontsize=10)
    ax.set_xlabel("Adam step")
    ax.grid(alpha=0.3)
axes[0].set_ylabel("batch accuracy")
fig.legend(*axes[0].get_legend_handles_labels(), frameon=False, fontsize=8, loc="lower center", ncol=4,
           bbox_to_anchor=(0.5, -0.08))
fig.tight_layout()
plt.show()

# %%
def late_change(run):
    """How much the batch accuracy rose over the last fifth of the budget (runs that used all of it)."""
    c = np.array(run["curve_accuracy"])
    fifth = len(c) // 5
    return float(c[-fifth:].mean() - c[-2 * fifth:-fifth].mean())


unsolved = {m: [(g, run) for g in GAPS for run in R["runs"][m][str(g)] if run["steps"] == STEPS] for m in MODELS}
for m in MODELS:
    changes = [late_change(run) for _, run in unsolved[m]]
    if changes:
        print(f"{m:>20}: {len(changes)} runs used the whole budget; their batch accuracy over the last "
              f"100 steps changed by {min(changes):+.3f} to {max(changes):+.3f} from the 100 before")
assert all(late_change(run) < 0.05 for m in MODELS for _, run in unsolved[m]), "no run still climbing at the end"
assert all(run["accuracy"] < S["train"]["solved_at"] for m in MODELS for _, run in unsolved[m])
# %%
lstm3, lstm1 = "LSTM, forget bias 3", "LSTM, forget bias 1"
others = ("tanh RNN, 64 units", "tanh RNN, 133 units", lstm1)
taken = {m: np.array([[R["runs"][m][str(g)][k]["steps"] for g in GAPS] for k in range(len(SEEDS))]) for m in MODELS}
long_gaps = [GAPS.index(40), GAPS.index(80)]
for m in others:
    print(f"{m:>20}: solved on " + ", ".join(f"{solved[m][:, k].sum()} of {len(SEEDS)} seeds at gap {g}"
                                               for k, g in enumerate(GAPS)))
rnn_long = sum(int(solved[m][:, long_gaps].sum()) for m in others[:2])
print(f"the two RNNs at gaps 40 and 80: {rnn_long} of {2 * 2 * len(SEEDS)} runs solved")
print(f"{lstm3}: solved every run, in {taken[lstm3].min()} to {taken[lstm3].max()} steps")
assert solved[lstm3].all(), "the LSTM with forget bias 3 solved every gap on every seed"
for m in others:
    assert (solved[m][:, long_gaps].sum(axis=0) <= len(SEEDS) // 2).all(), f"{m}: at most half the seeds at 40 and 80"
    assert np.median(acc[m][:, -1]) < 0.5, f"{m}: median accuracy at gap 80 below one half"
assert rnn_long <= 2 * len(SEEDS) // 4, "the RNNs solved few of their runs at the long gaps"
assert all(taken[lstm3][k, j] < taken[m][k, j] for m in others for k in range(len(SEEDS)) for j in range(len(GAPS))
           if solved[m][k, j]), "wherever another model solved a gap, the LSTM (bias 3) had done it in fewer steps"

# %% [markdown]
# The race, in the words the numbers allow. At its own best learning rate and within the same budget,
# the LSTM with forget bias 3 solved every gap on every seed, each time within a few dozen steps. The
# plain RNNs were unreliable: at gap 20 each solved the task on some seeds and not on others; at gaps
# 40 and 80 they solved few of their runs (counted above), and at gap 80 their median accuracy was
# below one half. They are not hopeless over long gaps: a run can succeed. But the LSTM succeeded
# every time, and wherever another model solved a gap on some seed, the LSTM had solved it on the
# same seed in fewer steps. Matching the LSTM's parameter count (133 units) did not change the RNN's
# picture much. The LSTM with forget bias 1 was as unreliable as the RNNs.
#
# The learning curves: on these four seeds, every run that used the whole budget had levelled off
# over its last 200 steps, many of them at a partial accuracy (they tell some cues apart), none still
# climbing. That does not make them stuck for good, as the next cell shows.

# %% [markdown] slideshow={"slide_type": "slide"}
# ### Four seeds no lesson uses
#
# Claims must hold on seeds nobody looked at while writing them. `make results` ran the race again on
# seeds 100 to 103, each model at the learning rate chosen above (`results/lesson10_race_unseen.json`):

# %%
unseen = load_result("lesson10_race_unseen")
U = unseen["data"]["runs"]
assert set(unseen["seeds"]).isdisjoint(SEEDS) and unseen["data"]["chosen_lr"] == R["chosen_lr"]
acc_u = {m: np.array([[U[m][str(g)][k]["accuracy"] for g in GAPS] for k in range(len(unseen["seeds"]))])
         for m in MODELS}
for m in MODELS:
    print(f"{m:>20}: solved on " + ", ".join(f"{(acc_u[m][:, k] >= 0.95).sum()} of 4 at gap {g}"
                                               for k, g in enumerate(GAPS)))
assert (acc_u[lstm3] >= 0.95).all(), "the LSTM with forget bias 3 solved every gap on the new seeds too"
for m in others:
    assert ((acc_u[m][:, long_gaps] >= 0.95).sum(axis=0) <= 2).all() and np.median(acc_u[m][:, -1]) < 0.5
late = max(((late_change(run), m, g, run) for m in MODELS for g in GAPS for run in U[m][str(g)]
            if run["steps"] == STEPS), key=lambda item: item[0])
change, m_late, g_late, run_late = late
print(f"steepest late rise: {m_late}, gap {g_late}, seed {run_late['seed']}: batch accuracy "
      f"{np.round(run_late['curve_accuracy'][-10:], 2)} over its last 100 steps; test accuracy "
      f"{run_late['accuracy']:.3f}")
assert change > 0.2 and run_late["accuracy"] < 0.95, "a plateau that broke just before the end"

# %% [markdown]
# The race's claims hold on the new seeds: the LSTM with forget bias 3 solved every gap, the others
# were as unreliable as before. But one new run tells us something the lesson's seeds did not: a
# tanh RNN that sat on a plateau for most of the budget and then, in its last steps, broke through
# to a much higher accuracy (printed above). Plateaus break, at unpredictable times. So the RNNs'
# failures are failures *within this budget*: a larger one would rescue some runs, and "stuck" only
# ever means "stuck so far".

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What the forget bias does
#
# The two LSTMs differ only in where their forget gates start. Lessons 03, 04 and 09 predicted why
# that matters: a trace of the cue, and the gradient that teaches the model to use it, must cross the
# gap. How much of a gradient on the last hidden state reaches the cell state just after the cue, 21
# steps back at gap 20, before any training? We measure it on 16 sequences with
# `analysis.gradient_routes` (lesson 09), in full and along the lane alone, relative to what reaches
# one step back.

# %%
x20, _ = delayed_recall(16, gap=20, rng=np.random.default_rng(1))  # T = 22: the cue's cell state is 21 steps back
reach = {}
for bias in (1.0, 3.0):
    routes = gradient_routes(init_lstm_params(13, 64, np.random.default_rng(2), forget_bias=bias), x20)
    reach[bias] = {name: routes[name][:, 21] / routes[name][:, 1] for name in ("full", "cell")}
    print(f"forget bias {bias:.0f}: all routes {np.median(reach[bias]['full']):.1%} "
          f"({reach[bias]['full'].min():.1%} to {reach[bias]['full'].max():.1%} over the sequences), "
          f"the lane alone {np.median(reach[bias]['cell']):.2%}; sigma({bias:.0f})^20 = {sigmoid(bias) ** 20:.2%}")
assert 0.03 < np.median(reach[1.0]["full"]) < 0.3 and np.median(reach[1.0]["cell"]) < 0.01
assert np.median(reach[3.0]["full"]) > 1 and np.median(reach[3.0]["cell"]) > 0.3
# %% [markdown]
# With bias 1, at the start of training, the lane alone carries back a few tenths of a percent of
# the gradient over those 21 steps (about $0.73^{20}$), and all routes together about a tenth (printed
# above: the detours through the gates add to the lane, lesson 09). With bias 3 the lane alone
# carries over a third, and all routes together more than the whole gradient. The model with bias 1 has to learn to
# keep before it can learn to recall, and in the race that made it as unreliable as the RNNs: its
# learning curves above sit with theirs.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Inside trained LSTMs
#
# What do the gates of an LSTM that has solved the task actually do? The race's LSTMs stop as soon as
# they solve it, often within a few dozen steps, too soon for their weights to move far. So
# `make results` also trains four LSTMs (forget bias 3, gap 40, learning rate $3 \cdot 10^{-3}$, seeds
# 0 to 3) for a whole budget of 400 steps, stores their weights (`results/lesson10_gates.npz`), and
# summarises their gates on 256 fresh sequences. We look for three things the diagrams suggest:
#
# - the **forget gate** of the units that hold the cue stays near 1 across the gap;
# - the **input gate** opens at the cue, to write it;
# - the **output gate** opens at the query, to read it out.
#
# Which units hold the cue? Those whose cell state, after the last distractor, differs most between
# the eight cues (`experiments.gate_summary` takes the top 8 of 64). First one sequence through the
# trained LSTM of seed 0: the mean of those 8 units' gates at every step.

# %%
gates_run = load_result("lesson10_gates")
G = gates_run["settings"]
weights = load_checkpoint("lesson10_gates")
trained = {s: model_from_arrays("lstm", weights, f"seed{s}|") for s in gates_run["seeds"]}
summary = {s: gates_run["data"][str(s)] for s in gates_run["seeds"]}
x_one, y_one = delayed_recall(1, gap=G["gap"], rng=np.random.default_rng(3))
one = lstm_gates_over_sequence(trained[0], x_one[0])
hold = summary[0]["gates"]["units"]
tokens = [names[k] if t in (0, G["gap"] + 1) else "" for t, k in enumerate(x_one[0].argmax(axis=1))]
fig, ax = plt.subplots(figsize=(7, 3.2))
plot_gates_over_time({"forget": one["f"][:, hold], "input": one["i"][:, hold], "output": one["o"][:, hold]},
                     tokens=tokens, ax=ax)
ax.axhline(sigmoid(3.0), color="#D55E00", ls=":", lw=1)
ax.axhline(0.5, color="#777777", ls=":", lw=1)
ax.set_title("trained LSTM (seed 0), the 8 cue-holding units: cue at step 0, query at step 41", fontsize=10)
fig.tight_layout()
plt.show()

# %% [markdown]
# The dotted lines mark where the gates started before training: $\sigma(3) \approx 0.95$ for the
# forget gate, 0.5 for the other two. Now in numbers, for all four trained LSTMs, each on its own 256
# sequences: the mean gate of the cue-holding units, and how far the forget biases moved in 400
# steps.

# %%
print(f"{'seed':>4} {'accuracy':>9} {'f over gap':>11} {'i at cue':>9} {'i over gap':>11} "
      f"{'o at query':>11} {'o over gap':>11} {'b_f moved':>10}")
for s, run in summary.items():
    h = run["gates"]["hold"]
    moved = float(np.abs(trained[s].cell.b_f - G["forget_bias"]).max())
    print(f"{s:>4} {run['accuracy']:9.3f} {h['f_gap']:11.3f} {h['i_cue']:9.3f} {h['i_gap']:11.3f} "
          f"{h['o_query']:11.3f} {h['o_gap']:11.3f} {moved:10.3f}")
hold_all = [run["gates"]["hold"] for run in summary.values()]
moved_all = [float(np.abs(m.cell.b_f - G["forget_bias"]).max()) for m in trained.values()]
possible = G["steps"] * G["lr"]  # Adam moves a weight by at most about lr per step
assert all(run["solved"] for run in summary.values()), "every one solved the task"
assert all(abs(h["f_gap"] - sigmoid(3.0)) < 0.03 for h in hold_all), "f stays where its bias put it"
assert max(moved_all) < 0.2 * possible, "the forget biases moved a small part of what Adam allowed"
assert 0.05 < min(moved_all) and max(moved_all) < 0.2, "by about a tenth"
assert all(0.2 < h["kept"] < 0.5 for h in hold_all), "the product of f over the gap: about a third"
assert all(h["i_cue"] < h["i_gap"] for h in hold_all), "the input gate is not more open at the cue"
assert all(abs(h["i_cue"] - 0.5) < 0.05 for h in hold_all), "at the cue it sits where it started"
assert all(0 < h["o_query"] - h["o_gap"] < 0.1 for h in hold_all), "the output gate: a little more open at the query"
assert all(h["o_gap"] > 0.6 for h in hold_all), "and well above its starting 0.5 throughout"
print(f"the forget biases moved by at most {max(moved_all):.3f}; Adam could have moved them by about {possible:.1f}")

# %% [markdown]
# On all four seeds:
#
# - **The forget gate stays near 1 across the gap, where its bias put it.** Training moved the forget
#   biases by about a tenth, a small part of what 400 Adam steps allow. Training did not need to
#   learn to keep: the bias made the lane keep from the first step.
# - **The input gate does not open at the cue.** It sits at about 0.5 there, where it started, and is
#   *more* open during the gap.
# - **The output gate is a little more open at the query than during the gap**, by a few hundredths;
#   it is well above its starting 0.5 throughout.
#
# What varies from seed to seed is which units hold the cue and the exact values (the table). So the
# picture of gates that open at just the right moment is not what these networks learned. How do they
# carry the cue, then? The input gate's findings suggest looking at what is written during the gap.

# %% [markdown] slideshow={"slide_type": "slide"}
# ### The cue in the memory lane
#
# If the cell holds the cue, sequences with different cues have different cell states. We measure
# how far apart they are at every step (the spread over the eight cues of each cue's mean cell state,
# averaged over the units), and the same for what each step writes, $i_t \odot \tilde c_t$, on 64 fresh
# sequences per model.

# %%
spread_by_seed, write_by_seed = {}, {}
for s, model in trained.items():
    xs, ys = delayed_recall(64, gap=G["gap"], rng=np.random.default_rng(900 + s))
    per_seq = [lstm_gates_over_sequence(model, q) for q in xs]
    c = np.array([d["c"] for d in per_seq])  # (64, T, H)
    w = np.array([d["i"] * d["g"] for d in per_seq])  # what each step writes
    cues = [k for k in range(8) if (ys == k).any()]
    spread_by_seed[s] = np.array([c[ys == k].mean(axis=0) for k in cues]).std(axis=0).mean(axis=1)  # (T,)
    write_by_seed[s] = np.array([w[ys == k].mean(axis=0) for k in cues]).std(axis=0).mean(axis=1)
fig, ax = plt.subplots(figsize=(6, 3))
for s, sp in spread_by_seed.items():
    ax.semilogy(sp[:-1], color=PALETTE[s], lw=1.5, label=f"seed {s}")
ax.set_xlabel(f"step (cue at 0, last distractor at {G['gap']})")
ax.set_ylabel("spread between cues in c")
ax.legend(frameon=False, fontsize=8)
ax.grid(alpha=0.3)
plt.show()
for s in trained:
    sp, wr = spread_by_seed[s], write_by_seed[s]
    print(f"seed {s}: spread {sp[0]:.3f} after the cue, {sp[-2]:.2f} after the gap ({sp[-2] / sp[0]:.0f} times); "
          f"writes: {wr[0]:.3f} at the cue, {wr[1:-1].mean():.3f} on average during the gap")
    assert sp[-2] > 100 * sp[0], "the cue's trace grows across the gap, a hundredfold or more"
    assert wr[1:-1].mean() > 2 * wr[0], "what the gap's steps write depends on the cue more than the cue's own write"

# %% [markdown]
# The cue enters the cell as a faint trace, and the trace grows across the gap, by a factor of a
# hundred or more, on every seed. A passive conveyor belt would have *shrunk* it: the product of the
# forget gates over 40 steps is about a third. The distractors carry nothing about the cue, so
# whatever cue-dependent content the gap's steps write must come from the previous hidden state: the
# cell's content, shown through $h_{t-1}$, steers the input gate and the candidate to write more of
# the same. The forget gate keeps the lane open; the recurrence keeps adding to what is on it. The
# notes' picture, a belt that carries information unchanged, is the starting point; these trained
# networks use the belt and the loop together.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What this shows, and what it does not
#
# **The claim, measured by `make results` on four seeds and asserted above:** with each model at its
# own best learning rate and the same budget of 500 Adam steps, an LSTM whose forget gates start at
# bias 3 solved delayed recall at gaps 20, 40 and 80 on every seed, faster than any other model that
# solved it. A tanh RNN, with as many units or with as many parameters, was unreliable: it solved
# gap 20 on some seeds, and gaps 40 and 80 on few, within the budget. An LSTM whose forget gates start
# at bias 1 did no better than the RNNs here. The same holds on four seeds that no lesson uses
# (100 to 103), re-run at the rates chosen here; `tests/test_claims_slow.py` re-checks both files.
#
# **What it does not show:**
#
# - That a plain RNN *cannot* learn a long gap. It sometimes did, one of its runs broke through a
#   plateau just before the end of the budget, and its partial accuracies (it tells some of the cues
#   apart) show that something reaches it. Other initialisations and
#   much longer training get plain RNNs further (Le, Jaitly & Hinton 2015).
# - That the LSTM is simply better. Much of its advantage here comes from the forget-gate bias: the
#   same LSTM with bias 1 failed where bias 3 succeeded. Jozefowicz, Zaremba & Sutskever (2015) found
#   a bias of 1 enough to close most of the gap to the GRU on their tasks; our gaps are longer, and
#   the longer the gap, the more the initial $f^{\,\text{gap}}$ matters.
# - That the budgets are equal in time. A step is a step: an LSTM step does about four times the
#   arithmetic of an RNN step of the same size (lesson 08).
# - Anything about other tasks, sizes or budgets: four seeds, one task, one budget.
#
# This is, on a toy scale, what the LSTM was designed for. Hochreiter & Schmidhuber (1997) built
# its cell around the constant error carousel, a path along which the error flows back unchanged,
# so that lags no gradient-trained RNN of the time could learn became learnable; Gers, Schmidhuber &
# Cummins (2000) added the forget gate, which lets the cell also let go. It never removed the
# vanishing gradient along the hidden path, and does nothing against exploding gradients: we clipped
# throughout (lesson 09).

# %% [markdown] slideshow={"slide_type": "notes"}
# If time allows, change the live cell to another seed (1, 2 or 3): the numbers change, and they
# still match the stored table. Each extra LSTM cell at gap 80 takes a few seconds; an RNN that uses its
# whole budget at gap 80 takes longer.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - A fair race: each model at its own best learning rate (chosen on validation sequences), the same
#   budget of 500 Adam steps, an RNN with as many units and one with as many parameters, four seeds.
# - The LSTM with forget bias 3 solved gaps 20, 40 and 80 on every seed, within a few dozen steps, on
#   the lesson's seeds and on four new ones. The RNNs were unreliable: some seeds solved a gap, most
#   failed at gaps 40 and 80 within the budget, though a plateau can break late. The LSTM with forget
#   bias 1 did no better than the RNNs.
# - The forget bias is a large part of the story: at the start of training, the share of a gradient
#   that crosses 20 steps is about a tenth with bias 1 and all of it with bias 3.
# - In LSTMs trained until they solved gap 40, on all four seeds: the forget gate stayed near 1, where
#   its bias put it; the input gate did not open at the cue; the output gate was only a little more
#   open at the query; and the cue's trace in the cell grew across the gap as the recurrence rewrote it.
# - The LSTM adds a road for memory and gradients; it does not repair the hidden path or stop gradients
#   from exploding.
#
# That closes the part of the course that follows the notes: from their conveyor belt to a measured
# claim. The next lessons go beyond them: real text, the LSTM's relatives, and the 1997 experiments.
#
# [← Previous: 09 · Backpropagation through an LSTM](09_backprop_through_lstm.ipynb) ·
# [Next: 11 · An LSTM on real text →](11_lstm_on_real_text.ipynb)
