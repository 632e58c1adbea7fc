"""The series' fixture corpus of natural slips: for every exercise, one wrong submission per hint its grader has.

Each slip is made from the exercise's worked solution in its notebook: a list of (text, replacement) edits, each
text found exactly once in the solution's body, or a whole body where one edit would not read as a learner's
code. Beside it, the start of the hint the grader must answer it with. No expected number is written here: the
sandboxed grader computes the answer, the slip's output and the hint (tests/grading/test_series.py).
"""

from __future__ import annotations

Slip = tuple[str, "list[tuple[str, str]] | str"]  # (start of the hint, edits of the solution's body, or a body)

SLIPS: dict[str, list[Slip]] = {
    "n02-layer-jacobian": [
        ("the transpose", [("sigmoid_prime(z_next)[:, None] * W_l", "(sigmoid_prime(z_next)[:, None] * W_l).T")]),
        ("a factor is missing", [("sigmoid_prime(z_next)[:, None] * W_l", "W_l * 1.0")]),
        ("f(z) where f'(z)", [("sigmoid_prime(z_next)[:, None]", "sigmoid(z_next)[:, None]")]),
        ("f'(a) where f'(z)", [("sigmoid_prime(z_next)[:, None]", "sigmoid_prime(sigmoid(z_next))[:, None]")]),
    ],
    "n03-last-layer-gradient": [
        ("sign flipped", [("-(y - h)", "(y - h)")]),
        ("the transpose", [("np.outer(-(y - h) * fprime_z, a_prev)", "np.outer(-(y - h) * fprime_z, a_prev).T")]),
        ("a factor is missing", [("-(y - h) * fprime_z", "-(y - h)")]),
        ("every row is the whole sum", [("-(y - h) * fprime_z", "np.full(len(y), np.sum(-(y - h) * fprime_z))")]),
    ],
    "n03-l1-cost-gradient": [
        ("sign flipped", [("np.sign(h - y)", "np.sign(y - h)")]),
        ("the squared error's slope", [("np.sign(h - y)", "(h - y)")]),
        ("a factor is missing", [("np.sign(h - y) * fprime_z", "np.sign(h - y)")]),
        ("the transpose", [("np.outer(np.sign(h - y) * fprime_z, a_prev)",
                            "np.outer(np.sign(h - y) * fprime_z, a_prev).T")]),
    ],
    "n04-path-terms": [
        ("sign flipped", [("(-(y - h) * fprime_z[5])", "((y - h) * fprime_z[5])")]),
        ("these are the terms of dh_p/dW", [("(-(y - h) * fprime_z[5])", "fprime_z[5]")]),
        ("the factor f'(z_i) of unit i", [("* fprime_z[2][i] ", "")]),
        ("the axes are reversed", [("end[None, :, :]", "end[None, :, :]).transpose(2, 1, 0)"),
                                   ("return start", "return (start")]),
    ],
    "n04-naive-counts": [
        ("one layer too many", [("np.prod(sizes[l + 1 :])", "np.prod(sizes[l:])")]),
        ("one multiplication per layer crossed", [("2 + 2 * (n_l - 1 - l) + 1", "2 + (n_l - 1 - l)")]),
        ("the factors of a term, not its multiplications", [("n_terms * (factors - 1)", "n_terms * factors")]),
        ("the sum of the widths", [("np.prod(sizes[l + 1 :])", "np.sum(sizes[l + 1 :])")]),
    ],
    "n05-naive-vs-recursion": [
        ("a path starts at the weight's own unit i", [("np.prod(s[l + 1 :])", "np.prod(s[l:])")]),
        ("a product of F factors", [("paths * (factors - 1) * s[l]", "paths * factors * s[l]")]),
        ("naive: each of the s_{l+1} s_l weights", [("paths * (factors - 1) * s[l] * s[l - 1]",
                                                      "paths * (factors - 1)")]),
        ("recursion: step 2 also multiplies", [("s[l] * s[l - 1] + s[l - 1] for", "s[l] * s[l - 1] for")]),
        ("recursion: step 3 counts too", [("step1 + step2 + step3", "step1 + step2")]),
    ],
    "n06-bias-by-paths": [
        ("sign flipped", [("-(y[p] - h[p])", "(y[p] - h[p])")]),
        ("the factor -(y_p - h_p) is missing", [("-(y[p] - h[p]) * fprime_z[n_l][p]", "fprime_z[n_l][p]")]),
        ("the factor f'(z_i) of the bias's own unit", [("W[m][dst, src] * fprime_z[m][src]",
                                                         "W[m][dst, src] * (fprime_z[m][src] if m > l + 1 else 1.0)")]),
        ("the factor f'(z_p) of the output unit", [("-(y[p] - h[p]) * fprime_z[n_l][p]", "-(y[p] - h[p])")]),
    ],
    "n06-skip-delta": [
        ("the skip path is missing", [(" + V.T @ delta_skip", "")]),
        ("the path through layer l+1 is missing", [("W_l.T @ delta_next + ", "")]),
        ("f'(z^(l)) multiplies only one", [("(W_l.T @ delta_next + V.T @ delta_skip) * fprime_z",
                                            "(W_l.T @ delta_next) * fprime_z + V.T @ delta_skip")]),
        ("f'(z^(l)) is missing", [(") * fprime_z", ")")]),
    ],
    "n06-leaky-relu-delta": [
        ("the plain ReLU's slope", [("np.where(z_l > 0, 1.0, alpha)", "(z_l > 0)")]),
        ("the slope at z = 0", [("z_l > 0", "z_l >= 0")]),
        ("f(z) where f'(z) belongs", [("np.where(z_l > 0, 1.0, alpha)", "np.maximum(z_l, alpha * z_l)")]),
        ("the two slopes swapped", [("1.0, alpha", "alpha, 1.0")]),
    ],
    "n07-batch-backward": [
        ("the sums over the batch", [("@ A[l].T / m", "@ A[l].T"), (".mean(axis=1)", ".sum(axis=1)")]),
        ("dW: the sum over the batch", [("@ A[l].T / m", "@ A[l].T")]),
        ("f'(a) where f'(z)", [("sigmoid_prime(Z[n_l])", "sigmoid_prime(A[n_l])"), ("Z[l]", "A[l]")]),
        ("sign flipped", [("-(Y - A[n_l])", "(Y - A[n_l])")]),
    ],
    "n07-dropout-delta": [
        ("the mask is missing", [("* mask / keep", "/ keep")]),
        ("the 1/keep is missing", [("* mask / keep", "* mask")]),
        ("times keep", [("* mask / keep", "* mask * keep")]),
        ("the mask is inverted", [("* mask / keep", "* (1 - mask) / keep")]),
    ],
    "n08-predicted-change": [
        ("sign flipped", [("-lr * squares", "lr * squares")]),
        ("the norms are not squared", [("np.sum(dW[l] ** 2) + np.sum(db[l] ** 2)",
                                        "np.linalg.norm(dW[l]) + np.linalg.norm(db[l])")]),
        ("the biases are left out", [(" + np.sum(db[l] ** 2)", "")]),
        ("lr squared", [("-lr * squares", "-(lr**2) * squares")]),
    ],
    "n08-momentum-change": [
        ("the old velocity is left out", [("mu * vW[l] - lr", "-lr"), ("mu * vb[l] - lr", "-lr")]),
        ("the step is the old velocity", [("mu * vW[l] - lr * dW[l]", "vW[l]"), ("mu * vb[l] - lr * db[l]", "vb[l]")]),
        ("the gradient's own term has the wrong sign", [("vW[l] - lr", "vW[l] + lr"), ("vb[l] - lr", "vb[l] + lr")]),
        ("the biases are left out", "total = 0.0\nfor l in dW:\n"
                                    "    total += np.sum(dW[l] * (mu * vW[l] - lr * dW[l]))\n"
                                    "return np.array(total)"),
        ("the old velocity is not scaled by mu", [("mu * vW[l]", "vW[l]"), ("mu * vb[l]", "vb[l]")]),
    ],
    "n09-delta-bound": [
        ("the absolute values are missing", [("np.abs(delta_out)", "delta_out"), ("np.abs(W[l]).T", "W[l].T")]),
        ("a factor is missing", [("0.25 * ", "")]),
        ("one factor 1/4 too many", [("np.abs(delta_out)", "0.25 * np.abs(delta_out)")]),
        ("absolute values in the wrong places", [("np.abs(delta_out)", "delta_out"),
                                                 ("0.25 * (np.abs(W[l]).T @ beta[l + 1])",
                                                  "np.abs(0.25 * (W[l].T @ beta[l + 1]))")]),
        ("the absolute value is taken after the sum", [("0.25 * (np.abs(W[l]).T @ beta[l + 1])",
                                                        "np.abs(0.25 * (W[l].T @ beta[l + 1]))")]),
    ],
    "n09-relative-error": [
        ("no denominator", [(" / denominator", "")]),
        ("one norm only in the denominator", [("np.linalg.norm(g) + np.linalg.norm(g_num)", "np.linalg.norm(g_num)")]),
        ("only ||analytic|| in the denominator", [("np.linalg.norm(g) + np.linalg.norm(g_num)", "np.linalg.norm(g)")]),
        ("the largest entry, not the norm", "g, g_num = np.ravel(analytic), np.ravel(numeric)\n"
                                            "denominator = np.max(np.abs(g)) + np.max(np.abs(g_num))\n"
                                            "if denominator == 0:\n    return np.array(0.0)\n"
                                            "return np.array(np.max(np.abs(g - g_num)) / denominator)"),
    ],
    "n09-input-gradient": [
        ("a factor f'(x) too many", "s = 1 / (1 + np.exp(-x))\nreturn (W_1.T @ delta_2) * s * (1 - s)"),
        ("sign flipped", [("W_1.T @ delta_2", "-(W_1.T @ delta_2)")]),
        ("a factor x too many", [("W_1.T @ delta_2", "(W_1.T @ delta_2) * x")]),
    ],
    "n10-gradient-entry": [
        ("off by one", [("[i - 1]", "[i]"), ("[j - 1]", "[j]")]),
        ("i and j swapped", [("delta[l + 1][i - 1]", "delta[l + 1][j - 1]"), ("a[l][j - 1]", "a[l][i - 1]")]),
        ("delta of layer l:", [("delta[l + 1]", "delta[l]")]),
        ("a of layer l+1:", [("a[l][j - 1]", "a[l + 1][j - 1]")]),
    ],
    "n10-tied-gradient": [
        ("only the use in layer 1", [(" + np.outer(delta_3, a_2).T", "")]),
        ("only the use in layer 2", [("np.outer(delta_2, a_1) + ", "")]),
        ("the mean of the two uses", [("np.outer(delta_2, a_1) + np.outer(delta_3, a_2).T",
                                       "(np.outer(delta_2, a_1) + np.outer(delta_3, a_2).T) / 2")]),
        ("the second use subtracted", [(") + np.outer", ") - np.outer")]),
    ],
    "n11-softmax-delta": [
        ("sign flipped", [("return h - y", "return y - h")]),
        ("the softmax is missing", [("return h - y", "return z - y")]),
        ("a factor f' too many", [("return h - y", "return (h - y) * h * (1 - h)")]),
        ("a sigmoid output", [("h = e / np.sum(e, axis=0)", "h = 1 / (1 + np.exp(-z))")]),
        ("softmax along a row", "e = np.exp(z)\nh = e / np.sum(e, axis=-1, keepdims=True)\nreturn h - y"),
        ("softmax over the whole batch", "e = np.exp(z)\nh = e / np.sum(e)\nreturn h - y"),
    ],
    "n11-weight-decay": [
        ("the decay term is missing", [("return dW + lam * W_l, db", "return dW, db")]),
        ("minus lambda W", [("dW + lam * W_l", "dW - lam * W_l")]),
        ("lambda/2 W", [("dW + lam * W_l", "dW + lam / 2 * W_l")]),
        ("the biases decayed too", [("W_l, db", "W_l, db + lam * b_l")]),
        ("lambda W divided by m", "if delta_next.ndim == 1:\n"
                                  "    return np.outer(delta_next, a_l) + lam * W_l, delta_next.copy()\n"
                                  "m = delta_next.shape[1]\n"
                                  "return (delta_next @ a_l.T + lam * W_l) / m, delta_next.mean(axis=1)"),
    ],
    "n11-softmax-squared-delta": [
        ("cross-entropy's delta", [("return h * (u - np.sum(h * u, axis=0))", "return u")]),
        ("only the diagonal", [("return h * (u - np.sum(h * u, axis=0))", "return u * h * (1 - h)")]),
        ("sign flipped", [("u = h - y", "u = y - h")]),
        ("the sum runs over the wrong axis", [("np.sum(h * u, axis=0)", "np.sum(h * u, axis=-1, keepdims=True)")]),
        ("the sum runs over the whole batch", [("np.sum(h * u, axis=0)", "np.sum(h * u)")]),
    ],
    "n11-tanh-bce-delta": [
        ("a constant factor is missing", [("2 * (pi - y)", "pi - y")]),
        ("h - y:", [("2 * (pi - y)", "np.tanh(z) - y")]),
        ("a factor tanh'(z) too many", [("2 * (pi - y)", "2 * (pi - y) * (1 - np.tanh(z) ** 2)")]),
        ("sign flipped", [("2 * (pi - y)", "2 * (y - pi)")]),
        ("π = 1 + h", [("pi = (1 + np.tanh(z)) / 2", "pi = 1 + np.tanh(z)")]),
        ("the half of π", [("2 * (pi - y)", "4 * (pi - y)")]),
    ],
    "n12-layer-backward": [
        ("the sigma node's local derivative is missing", [("dz = g * s * (1.0 - s)", "dz = g * 1.0")]),
        ("sigma'(a') where sigma'(z)", [("g * s * (1.0 - s)", "g * sigmoid(s) * (1.0 - sigmoid(s))")]),
        ("sigma(z) where its slope", [("g * s * (1.0 - s)", "g * s")]),
        ("da skips the sigma node", [("W_l.T @ dz", "W_l.T @ g")]),
    ],
    "n12-operation-counts": [
        ("N counts the weights only", [("sum(s * t + t for", "sum(s * t for")]),
        ("the cost's nodes are missing", [(" + 5 * sizes[-1]", ""), (" + 10 * sizes[-1]", "")]),
        ("the forward pass (V nodes) is missing", [("[N, V + E, V + N * E,", "[N, E, N * E,")]),
        ("one forward pass per parameter", [("2 * N * V", "N * V")]),
    ],
    "n13-weighted-batch": [
        ("the weights are missing", [("(delta_next * share) @ a_l.T, delta_next @ share",
                                      "delta_next @ a_l.T / w.size, delta_next.mean(axis=1)")]),
        ("divided by m", [("w / w.sum()", "w / w.size")]),
        ("not divided at all", [("w / w.sum()", "w")]),
        ("each weight counted twice", [("w / w.sum()", "w * w / w.sum()")]),
        ("dW is right but db is not", [("delta_next @ share", "delta_next.mean(axis=1)")]),
    ],
    "n13-batchnorm-backward": [
        ("dx: mu and sigma^2 taken as constants", [("- dxhat.mean(axis=1, keepdims=True)", ""),
                                                   ("- xhat * (dxhat * xhat).sum(axis=1, keepdims=True) / m", "")]),
        ("dx: the path through the batch mean", [("- dxhat.mean(axis=1, keepdims=True)", "")]),
        ("dx: the path through the batch variance", [("- xhat * (dxhat * xhat).sum(axis=1, keepdims=True) / m", "")]),
        ("dx: the scale gamma is missing", [("dxhat = g * gamma[:, None]", "dxhat = g")]),
        ("the variance with m - 1", [("x.var(axis=1, keepdims=True)", "x.var(axis=1, ddof=1, keepdims=True)"),
                                     ("keepdims=True) / m", "keepdims=True) / (m - 1)")]),
        ("dgamma: the local derivative", [("(g * xhat).sum(axis=1)", "g.sum(axis=1)")]),
    ],
}
