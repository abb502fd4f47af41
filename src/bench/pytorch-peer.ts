/**
 * The PyTorch side of `nullspace-cl bench --part vs-pytorch`, a Python program kept here as a
 * string so that it ships inside dist/ with the compiled bench (it runs as `python3 -c`). It
 * answers one JSON request a line with one 'COMPARE_JSON {…}' line: the same work as
 * runOurWork in compare.ts, with the same models (the pre-activation ResNet-18 of the Adam-NSCL
 * code exactly as src/models/resnet18.ts builds it, the bias-free MLP of src/models/mlp.ts),
 * Adam with the same groups and weight decay, and the official code's covariance hooks (unfold +
 * mm into a running mean). Threads are set per request: torch's pool and, when loaded,
 * OpenBLAS's own.
 */
export const PYTORCH_PEER = String.raw`"""PyTorch side of nullspace-cl bench --part vs-pytorch (see src/bench/pytorch-peer.ts)."""
import ctypes
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN, STD = 0.5, 0.25


def loaded_libraries(words):
    try:
        with open("/proc/self/maps") as maps:
            paths = [line.split()[-1] for line in maps if len(line.split()) >= 6]
    except OSError:
        return []
    return sorted({p for p in paths if any(w in p.rsplit("/", 1)[-1] for w in words)})


def set_threads(count):
    torch.set_num_threads(count)
    # OpenBLAS keeps its own pool, which torch.set_num_threads does not size.
    for path in loaded_libraries(["openblas"]):
        try:
            ctypes.CDLL(path).openblas_set_num_threads(count)
        except (OSError, AttributeError):
            pass


class PreActBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.shortcut = (
            nn.Conv2d(cin, cout, 1, stride, 0, bias=False) if stride != 1 or cin != cout else None
        )

    def forward(self, x):
        normed = self.bn1(x)
        pre = F.relu(normed)
        skip = self.shortcut(pre) if self.shortcut is not None else normed
        out = self.conv2(F.relu(self.bn2(self.conv1(pre))))
        return out + skip


class ResNet18(nn.Module):
    def __init__(self, channels, width, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, width, 3, 1, 1, bias=False)
        blocks, cin = [], width
        for stage, cout in enumerate([width, 2 * width, 4 * width, 8 * width]):
            for b in range(2):
                blocks.append(PreActBlock(cin, cout, 2 if b == 0 and stage > 0 else 1))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.bn_last = nn.BatchNorm2d(cin)
        self.head = nn.Linear(cin, classes)

    def forward(self, x):
        features = F.relu(self.bn_last(self.blocks(self.conv1(x)))).mean((2, 3))
        return self.head(features)


class Mlp(nn.Module):
    def __init__(self, inputs, hidden, classes):
        super().__init__()
        layers, n = [], inputs
        for h in hidden:
            layers += [nn.Linear(n, h, bias=False), nn.ReLU()]
            n = h
        self.backbone = nn.Sequential(*layers)
        self.head = nn.Linear(n, classes)

    def forward(self, x):
        return self.head(self.backbone(x.flatten(1)))


def build(spec):
    torch.manual_seed(7)
    h, w, c = spec["shape"]
    if spec["model"] == "mlp":
        return Mlp(h * w * c, spec["hidden"], 10)
    return ResNet18(c, spec["width"], 10)


def projected_layers(model):
    return [m for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear)) and n != "head"]


def random_batches(spec, count):
    h, w, c = spec["shape"]
    batch = spec["batch"]
    g = torch.Generator().manual_seed(1)
    pixels = torch.randint(0, 256, (count * batch, c, h, w), dtype=torch.uint8, generator=g)
    labels = torch.randint(0, 10, (count * batch,), generator=g)
    return [(pixels[i * batch:(i + 1) * batch], labels[i * batch:(i + 1) * batch]) for i in range(count)]


def normalise(pixels):
    return (pixels.float() / 255 - MEAN) / STD


def training_setup(spec):
    model = build(spec)
    model.train()
    groups = {"backbone": [], "bn": [], "head": []}
    for name, p in model.named_parameters():
        group = "head" if name.startswith("head") else "bn" if ".bn" in name or name.startswith("bn") else "backbone"
        groups[group].append(p)
    lrs = {"backbone": 1e-4, "bn": 5e-4, "head": 1e-3}
    optimizer = torch.optim.Adam(
        [{"params": ps, "lr": lrs[g]} for g, ps in groups.items() if ps],
        betas=(0.9, 0.999), eps=1e-8, weight_decay=5e-5,
    )
    return model, optimizer


def train_step(model, optimizer, pixels, labels):
    x = normalise(pixels)
    optimizer.zero_grad(set_to_none=True)
    logits = model(x)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    optimizer.step()
    loss.item()
    (logits.argmax(1) == labels).sum().item()


def train_steps(spec):
    model, optimizer = training_setup(spec)
    seconds = []
    for pixels, labels in random_batches(spec, spec["warmup"] + spec["steps"]):
        start = time.perf_counter()
        train_step(model, optimizer, pixels, labels)
        seconds.append(time.perf_counter() - start)
    return seconds[spec["warmup"]:]


def profile_step(spec):
    """Self CPU time per operator of one step after the warm-up, largest first."""
    model, optimizer = training_setup(spec)
    batches = random_batches(spec, spec["warmup"] + 1)
    for pixels, labels in batches[:-1]:
        train_step(model, optimizer, pixels, labels)
    with torch.autograd.profiler.profile() as prof:
        train_step(model, optimizer, *batches[-1])
    kernels = [{"kernel": e.key, "ms": e.self_cpu_time_total / 1000, "calls": e.count} for e in prof.key_averages()]
    return sorted(kernels, key=lambda k: -k["ms"])


def conv_pass(spec):
    """Seconds of each call of one pass of one convolution, as autograd runs it."""
    g = torch.Generator().manual_seed(5)
    k, s = spec["kernel"], spec["stride"]
    p = k // 2
    out = (spec["size"] + 2 * p - k) // s + 1
    x = torch.randn(spec["batch"], spec["cin"], spec["size"], spec["size"], generator=g)
    w = torch.randn(spec["cout"], spec["cin"], k, k, generator=g)
    dy = torch.randn(spec["batch"], spec["cout"], out, out, generator=g)
    masks = {"input-grad": [True, False, False], "kernel-grad": [False, True, False]}

    def run():
        if spec["pass"] == "forward":
            return F.conv2d(x, w, stride=s, padding=p)
        return torch.ops.aten.convolution_backward(
            dy, x, w, None, [s, s], [p, p], [1, 1], False, [0, 0], 1, masks[spec["pass"]])

    seconds = []
    with torch.no_grad():
        for _ in range(spec["repeats"] + 1):
            start = time.perf_counter()
            run()
            seconds.append(time.perf_counter() - start)
    return seconds[1:]


def covariance_pass(spec):
    """Seconds per image of the official code's covariance hooks (svd_agent compute_cov/update_cov)."""
    model = build(spec)
    model.eval()
    state = {}

    def hook(module, inputs, output):
        x = inputs[0]
        if spec["mode"] == "batch-mean":
            x = torch.mean(x, 0, True)
        if isinstance(module, nn.Conv2d):
            x = F.unfold(x, kernel_size=module.kernel_size, padding=module.padding, stride=module.stride)
            x = x.permute(0, 2, 1)
            x = x.reshape(-1, x.shape[-1])
        cov = torch.mm(x.transpose(0, 1), x)
        rows = x.shape[0]
        if module not in state:
            state[module] = (cov / rows, rows)
        else:
            mean, count = state[module]
            state[module] = ((count * mean + rows * cov) / (count + rows), count + rows)

    handles = [m.register_forward_hook(hook) for m in projected_layers(model)]
    batches = random_batches(spec, 1 + spec["images"] // spec["batch"])
    with torch.no_grad():
        model(normalise(batches[0][0]))
        state.clear()
        start = time.perf_counter()
        for pixels, _ in batches[1:]:
            model(normalise(pixels))
        seconds = time.perf_counter() - start
    for h in handles:
        h.remove()
    return [seconds / spec["images"]]


def eigh(spec):
    n = spec["n"]
    rows = 2 * n
    g = torch.Generator().manual_seed(n)
    scale = 1 / (1 + torch.arange(n, dtype=torch.float64) / 8)
    x = torch.randn(rows, n, dtype=torch.float64, generator=g) * scale
    a = x.T @ x / rows
    start = time.perf_counter()
    torch.linalg.eigh(a)
    return [time.perf_counter() - start]


WORK = {"step": train_steps, "covariance": covariance_pass, "eigh": eigh, "conv": conv_pass}


def reply(value):
    sys.stdout.write("COMPARE_JSON " + json.dumps(value) + "\n")
    sys.stdout.flush()


def main():
    reply({
        "side": "pytorch " + torch.__version__,
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "blas": loaded_libraries(["blas", "lapack", "mkl"]),
    })
    for line in sys.stdin:
        request = json.loads(line)
        try:
            set_threads(request["threads"])
            spec = request["spec"]
            if spec["kind"] == "profile":
                reply({"kernels": profile_step(spec)})
            else:
                reply({"seconds": WORK[spec["kind"]](spec)})
        except Exception as err:  # reported to the bench, which stops with the message
            reply({"error": type(err).__name__ + ": " + str(err)})


if __name__ == "__main__":
    main()
`;
