#!/usr/bin/env python3
"""Trains and quantises the digit classifier Pinion's emulated boards run, and writes the
fixtures its tests use (docs/model-format.md describes the file format).

    pip install scikit-learn numpy && scripts/train-digits-model.py

Data: scikit-learn's bundled `load_digits` (1797 8x8 images, 0-16 grey levels), split
70/30 with a fixed seed. Model: 64 -> 32 (ReLU) -> 10, trained in float by MLPClassifier,
then quantised to int8 weights (symmetric, per layer), int32 biases and fixed-point
requantisation (multiplier Q0.31 and right shift), exactly as the interpreter computes.

Writes, in Sources/PinionModels/Resources/ (resources of the PinionModels library, used by
the tests, `pinion demo` and the benchmarks):
  digits-mlp.pnm   the model
  digits-test.bin  the test split: per image 64 int8 inputs, the label, and the 10 int8
                   logits this script's integer reference computed (the interpreter must
                   match them bit for bit)
"""
import hashlib
import os
import struct
import sys

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Sources", "PinionModels", "Resources")
INPUT_SCALE = 16.0 / 127.0  # grey level 16 -> 127


def quantise_input(x):
    return np.clip(np.round(x / INPUT_SCALE), -128, 127).astype(np.int8)


def multiplier_and_shift(real):
    """real = m / 2^(31 + shift) with m in [2^30, 2^31): the interpreter's fixed point."""
    assert 0 < real < 1, f"requantisation scale {real} must be below 1"
    shift = 0
    while real * 2 < 1:
        real *= 2
        shift += 1
    m = int(round(real * (1 << 31)))
    if m == 1 << 31:
        m //= 2
        shift -= 1
    return m, shift


def requantise(acc, m, shift):
    acc = acc.astype(np.int64)
    return np.clip((acc * m + (1 << (30 + shift))) >> (31 + shift), -128, 127).astype(np.int8)


def dense(x_q, w_q, b_q, m, shift):
    acc = x_q.astype(np.int32) @ w_q.astype(np.int32).T + b_q
    return requantise(acc, m, shift)


def main():
    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        digits.data, digits.target, test_size=0.3, random_state=7, stratify=digits.target)
    net = MLPClassifier(hidden_layer_sizes=(32,), activation="relu", max_iter=2000, random_state=7)
    net.fit(x_train, y_train)
    float_accuracy = net.score(x_test, y_test)

    (w1, w2), (b1, b2) = net.coefs_, net.intercepts_  # w: (in, out)
    s_in = INPUT_SCALE
    s_w1 = np.abs(w1).max() / 127.0
    s_w2 = np.abs(w2).max() / 127.0
    hidden = np.maximum(x_train @ w1 + b1, 0)
    s_h = np.percentile(hidden, 99.9) / 127.0
    logits = hidden @ w2 + b2
    s_out = np.abs(logits).max() / 127.0

    w1_q = np.clip(np.round(w1.T / s_w1), -127, 127).astype(np.int8)  # (out, in)
    w2_q = np.clip(np.round(w2.T / s_w2), -127, 127).astype(np.int8)
    b1_q = np.round(b1 / (s_in * s_w1)).astype(np.int32)
    b2_q = np.round(b2 / (s_h * s_w2)).astype(np.int32)
    m1, sh1 = multiplier_and_shift(s_in * s_w1 / s_h)
    m2, sh2 = multiplier_and_shift(s_h * s_w2 / s_out)

    def run(x):
        h = dense(quantise_input(x), w1_q, b1_q, m1, sh1)
        h = np.maximum(h, 0).astype(np.int8)  # ReLU
        return dense(h, w2_q, b2_q, m2, sh2)

    out = run(x_test)
    int8_accuracy = float(np.mean(np.argmax(out, axis=1) == y_test))

    model = bytearray(b"PNMD")
    model += struct.pack("<HH", 1, 3)              # version, layers
    model += struct.pack("<H", 1) + struct.pack("<I", 64)   # input shape: rank 1, [64]
    model += struct.pack("<f", INPUT_SCALE)
    for w_q, b_q, m, sh, relu in ((w1_q, b1_q, m1, sh1, True), (w2_q, b2_q, m2, sh2, False)):
        out_n, in_n = w_q.shape
        model += struct.pack("<BII", 1, in_n, out_n)          # dense
        model += w_q.tobytes()
        model += b_q.astype("<i4").tobytes()
        model += struct.pack("<iB", m, sh)
        if relu:
            model += struct.pack("<B", 3)                     # relu
    with open(os.path.join(OUT, "digits-mlp.pnm"), "wb") as f:
        f.write(model)

    with open(os.path.join(OUT, "digits-test.bin"), "wb") as f:
        for x, y, o in zip(quantise_input(x_test), y_test, out):
            f.write(x.tobytes() + bytes([int(y)]) + o.tobytes())

    print(f"float accuracy {float_accuracy:.4f}, int8 accuracy {int8_accuracy:.4f}, "
          f"{len(y_test)} test images, model {len(model)} bytes sha256 {hashlib.sha256(model).hexdigest()}")


if __name__ == "__main__":
    sys.exit(main())
