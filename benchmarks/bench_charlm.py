"""Training throughput of lesson 11's character LSTM against the same model in PyTorch (CPU).

    python benchmarks/bench_charlm.py            # needs torch==2.13.0 beside lstm_course (make bench)
    python benchmarks/bench_charlm.py --profile  # also: where the package's time goes

The model and the training step are lesson 11's: embedding (V = 96, E = 32) -> LSTM (H = 128) ->
linear -> softmax cross-entropy, truncated BPTT over chunks of N = 32 streams x T = 64
characters with the state carried, gradient-norm clipping at 5, Adam; float32, one thread.
Both sides train on the same text (the course's training split) for the same number of chunks;
the measure is characters per second of CPU time of this process (user + system), which a
shared machine disturbs far less than wall time. The script prints both rates and their ratio
(package / PyTorch; the target is at least 0.8). It is a report: the exit status is 0.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy (and torch) are imported

import argparse  # noqa: E402
import cProfile  # noqa: E402
import pstats  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from lstm_course.charlm import init_charlm, train_step  # noqa: E402
from lstm_course.optim import Adam  # noqa: E402
from lstm_course.text import Vocabulary, iter_chunks, load_corpus, make_streams, split_by_position  # noqa: E402

E, H, N, T, LR, CLIP = 32, 128, 32, 64, 2e-3, 5.0


def chunks(steps):
    text = load_corpus()
    vocab = Vocabulary.from_text(text)
    train, _, _ = split_by_position(vocab.encode(text))
    out = []
    for x, y in iter_chunks(make_streams(train, N), T):
        out.append((x, y))
        if len(out) == steps:
            return vocab.size, out
    raise ValueError("expected fewer steps than chunks in one pass")


def numpy_rate(V, batches):
    rng = np.random.default_rng(0)
    params = init_charlm("lstm", V, E, H, rng, dtype=np.float32)
    optimizer, state = Adam(LR), None
    params, _, state, _ = train_step(params, *batches[0], state, optimizer, CLIP)  # warm-up
    start = time.process_time()
    for x, y in batches[1:]:
        params, loss, state, _ = train_step(params, x, y, state, optimizer, CLIP)
    seconds = time.process_time() - start
    return sum(x.size for x, _ in batches[1:]) / seconds, loss


def torch_rate(V, batches):
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    embed = torch.nn.Embedding(V, E)
    lstm = torch.nn.LSTM(E, H, batch_first=True)
    linear = torch.nn.Linear(H, V)
    params = [*embed.parameters(), *lstm.parameters(), *linear.parameters()]
    optimizer = torch.optim.Adam(params, lr=LR)
    tensors = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in batches]
    state = None

    def step(x, y, state):
        optimizer.zero_grad(set_to_none=True)
        out, state = lstm(embed(x), state)
        loss = torch.nn.functional.cross_entropy(linear(out).reshape(-1, V), y.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, CLIP)
        optimizer.step()
        return tuple(s.detach() for s in state), loss.item()  # carry the state, cut the gradient

    state, _ = step(*tensors[0], state)  # warm-up
    start = time.process_time()
    for x, y in tensors[1:]:
        state, loss = step(x, y, state)
    seconds = time.process_time() - start
    return sum(x.numel() for x, _ in tensors[1:]) / seconds, loss


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    V, batches = chunks(args.steps + 1)
    ours, our_loss = numpy_rate(V, batches)
    try:
        theirs, their_loss = torch_rate(V, batches)
    except ImportError:
        theirs = None
    print(f"character LSTM training, V={V} E={E} H={H} N={N} T={T}, float32, 1 thread, {args.steps} chunks")
    print(f"  lstm_course : {ours:10,.0f} characters/s (CPU time)   last loss {our_loss:.3f} nats")
    if theirs is None:
        print("  PyTorch     : not installed (pip install torch==2.13.0) -- no ratio")
    else:
        print(f"  PyTorch     : {theirs:10,.0f} characters/s (CPU time)   last loss {their_loss:.3f} nats")
        print(f"  ratio lstm_course / PyTorch = {ours / theirs:.2f}  (target >= 0.8)")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(numpy_rate, V, batches[:21])
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
