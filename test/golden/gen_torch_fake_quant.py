"""Writes test/golden/fake_quant_torch.json: PyTorch's own fake-quant numerics (forward and the learnable
per-channel / per-tensor backward at grad_factor 1), the independent oracle for nibble's fake-quant kernels.

Run with any PyTorch >= 1.10 (Debian: apt-get install python3-torch; /usr/bin/python3 test/golden/gen_torch_fake_quant.py).
The JSON holds float32 values written as Python floats (exact: every f32 is an f64); the file is committed,
so tests need no PyTorch.
"""
import json
import os
import torch

torch.manual_seed(1234)
cases = []


def f32list(t):
    return [float(v) for v in t.detach().to(torch.float32).flatten().tolist()]


def with_ties(x, scale, zp):
    # Put exact rounding ties (k + 0.5) * s in the first few elements, and values beyond the clip range.
    x = x.clone()
    flat = x.view(-1)
    s = float(scale.view(-1)[0])
    z = float(zp.view(-1)[0])
    for i, k in enumerate([-3, -2, -1, 0, 1, 2]):
        flat[i] = (k + 0.5) * s
    flat[6] = 1e4
    flat[7] = -1e4
    return x


for bits, sym in [(2, True), (3, False), (4, True), (4, False), (8, True), (8, False)]:
    qmin, qmax = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if sym else (0, 2 ** bits - 1)
    N, K = 4, 24
    x = torch.randn(N, K) * 2
    # per tensor
    s = torch.tensor([0.1 + 0.05 * bits], dtype=torch.float32)
    z = torch.tensor([0 if sym else (qmax + 1) // 3], dtype=torch.int32)
    xt = with_ties(x, s, z)
    y = torch.fake_quantize_per_tensor_affine(xt, float(s), int(z), qmin, qmax)
    cases.append(dict(kind="per_tensor", bits=bits, symmetric=sym, qmin=qmin, qmax=qmax, shape=[N, K],
                      x=f32list(xt), scale=f32list(s), zero_point=[int(z)], y=f32list(y)))
    # per channel (axis 0)
    sc = torch.rand(N) * 0.3 + 0.05
    zc = torch.zeros(N, dtype=torch.int32) if sym else torch.randint(0, qmax + 1, (N,), dtype=torch.int32)
    xc = with_ties(x, sc, zc)
    y = torch.fake_quantize_per_channel_affine(xc, sc, zc, 0, qmin, qmax)
    cases.append(dict(kind="per_channel", axis=0, bits=bits, symmetric=sym, qmin=qmin, qmax=qmax, shape=[N, K],
                      x=f32list(xc), scale=f32list(sc), zero_point=[int(v) for v in zc], y=f32list(y)))
    # per group along K (group 8): per-channel on the [N*K/8, 8] view, as torchao does
    g = 8
    sg = torch.rand(N * K // g) * 0.3 + 0.05
    zg = torch.zeros(N * K // g, dtype=torch.int32) if sym else torch.randint(0, qmax + 1, (N * K // g,), dtype=torch.int32)
    xg = with_ties(x, sg, zg)
    y = torch.fake_quantize_per_channel_affine(xg.view(-1, g), sg, zg, 0, qmin, qmax).view(N, K)
    cases.append(dict(kind="per_group", group=g, bits=bits, symmetric=sym, qmin=qmin, qmax=qmax, shape=[N, K],
                      x=f32list(xg), scale=f32list(sg), zero_point=[int(v) for v in zg], y=f32list(y)))
    # learnable per channel: forward + backward (grad_factor 1)
    xl = (torch.randn(N, K) * 2).requires_grad_(True)
    sl = (torch.rand(N) * 0.3 + 0.05).requires_grad_(True)
    zl = (torch.zeros(N) if sym else torch.randint(0, qmax + 1, (N,)).float()).requires_grad_(True)
    y = torch._fake_quantize_learnable_per_channel_affine(xl, sl, zl, 0, qmin, qmax, 1.0)
    gy = torch.randn(N, K)
    y.backward(gy)
    cases.append(dict(kind="learnable_per_channel", axis=0, bits=bits, symmetric=sym, qmin=qmin, qmax=qmax, shape=[N, K],
                      x=f32list(xl), scale=f32list(sl), zero_point=f32list(zl), y=f32list(y), grad_y=f32list(gy),
                      grad_x=f32list(xl.grad), grad_scale=f32list(sl.grad), grad_zero_point=f32list(zl.grad)))
    # learnable per tensor
    xl = (torch.randn(N, K) * 2).requires_grad_(True)
    sl = torch.tensor([0.07 * bits], requires_grad=True)
    zl = torch.tensor([0.0 if sym else float((qmax + 1) // 2)], requires_grad=True)
    y = torch._fake_quantize_learnable_per_tensor_affine(xl, sl, zl, qmin, qmax, 1.0)
    gy = torch.randn(N, K)
    y.backward(gy)
    cases.append(dict(kind="learnable_per_tensor", bits=bits, symmetric=sym, qmin=qmin, qmax=qmax, shape=[N, K],
                      x=f32list(xl), scale=f32list(sl), zero_point=f32list(zl), y=f32list(y), grad_y=f32list(gy),
                      grad_x=f32list(xl.grad), grad_scale=f32list(sl.grad), grad_zero_point=f32list(zl.grad)))

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_quant_torch.json")
with open(out, "w") as f:
    json.dump(dict(generator="gen_torch_fake_quant.py", torch=torch.__version__, cases=cases), f, separators=(",", ":"))
print(f"wrote {len(cases)} cases to {out} with torch {torch.__version__}")
