"""Automatic, mistake-specific checks for the course's exercises.

Each check takes the learner's function, runs it on several random cases (N > 1, D != H,
non-zero parameters, biases and states), compares it with the package's reference, and returns
a `CheckResult` that shows as one ✅/❌ line in Jupyter. A check never raises on a learner's
mistake (an exception inside the learner's function becomes the message, a function that never
returns is stopped after a few seconds), except when the environment variable LSTM_COURSE_EXPECT
asks it to (see `lstm_course.checks.result`).

Every check also takes `seed=None` by keyword: None runs its fixed cases (the same at every run,
so stored notebook outputs never change), an int draws fresh cases of the same kinds.

=============================  ==============================================================
check                          the learner's function
=============================  ==============================================================
check_rnn_step_forward         fn(x, h_prev, params: RNNParams) -> (h, cache)
check_rnn_step_backward        fn(dh, cache) -> (dx, dh_prev, dparams)
check_clip_grad_norm           fn(grads: list of arrays, max_norm) -> (clipped list, norm)
check_forget_product           fn(f (T, N, H)) -> (N, H), the product of the forget gates
check_forget_gate              fn(x, h_prev, params: LSTMParams) -> f (N, H)
check_input_gate               fn(x, h_prev, params) -> i (N, H)
check_candidate                fn(x, h_prev, params) -> g (N, H)
check_output_gate              fn(x, h_prev, params) -> o (N, H)
check_cell_update              fn(f, i, g, c_prev) -> c
check_hidden_state             fn(o, c) -> h
check_lstm_step_forward        fn(x, h_prev, c_prev, params) -> (h, c, cache)
check_lstm_step_backward       fn(dh, dc, cache) -> (dx, dh_prev, dc_prev, dparams)
check_softmax_cross_entropy    fn(logits (N, K), targets (N,)) -> (loss, dlogits)
check_rnn_backward             fn(dh (N, T, H), cache from rnn.rnn_forward) -> (dx, dh0, dparams)
check_lstm_forward             fn(x (N, T, D), h0, c0, params) -> (h (N, T, H), c (N, T, H), cache)
check_lstm_backward            forward as above, backward(dh (N, T, H), cache, dc_last=None)
                               -> (dx, dh0, dc0, dparams): your own pair
check_gradient_check           fn(f, x, analytic_grad, eps=1e-5) -> relative error (a float)
check_train_step               fn(params, x, y, lr, max_norm) -> (new_params, loss, grad_norm)
=============================  ==============================================================
"""

from .gru import check_adding_should_stop, check_gru_step_forward  # lessons 12 and 13
from .gates import (check_candidate, check_cell_update, check_forget_gate, check_hidden_state,
                    check_input_gate, check_output_gate)
from .losses import check_softmax_cross_entropy
from .result import ENV_VAR, MIME_TYPE, STATUSES, CheckResult, apply_expectation
from .rnn import check_clip_grad_norm, check_forget_product, check_rnn_step_backward, check_rnn_step_forward
from .gradient_check import check_gradient_check
from .sequence import check_lstm_backward, check_lstm_forward, check_rnn_backward
from .steps import check_lstm_step_backward, check_lstm_step_forward
from .text import check_sample_with_temperature, check_tbptt_epoch
from .train_step import check_train_step

ALL_CHECKS = {
    f.__name__: f for f in (
        check_rnn_step_forward, check_rnn_step_backward, check_clip_grad_norm, check_forget_product,
        check_forget_gate, check_input_gate, check_candidate, check_output_gate, check_cell_update,
        check_hidden_state, check_lstm_step_forward, check_lstm_step_backward,
        check_softmax_cross_entropy, check_rnn_backward, check_lstm_forward, check_lstm_backward,
        check_gradient_check, check_train_step, check_gru_step_forward, check_adding_should_stop,
        check_sample_with_temperature, check_tbptt_epoch,
    )
}

__all__ = ["CheckResult", "MIME_TYPE", "ENV_VAR", "STATUSES", "apply_expectation", "ALL_CHECKS",
           *ALL_CHECKS]
