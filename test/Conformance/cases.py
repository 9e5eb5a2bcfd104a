"""The conformance cases: deterministic, covering every option the dialect
accepts, plus the configurations of PyTorch Inductor's own test of its
efficient_conv_bn_eval pass."""

import dataclasses
import itertools
import random

MODES = ("train", "eval", "tune", "deploy")


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    mode: str
    batch: int
    in_channels: int
    out_channels: int
    spatial: tuple
    kernel: tuple
    stride: tuple
    pad_low: tuple
    pad_high: tuple
    dilation: tuple
    groups: int
    bias: bool
    affine: bool
    act_type: str = "f32"     # input, filter, output
    stat_type: str = "f32"    # per-channel vectors
    epsilon: float = 1e-5
    momentum: float = 0.1
    mean_loss: bool = False   # gradient of out.mean() instead of random

    @property
    def rank(self):
        return len(self.spatial)

    @property
    def out_spatial(self):
        return tuple(
            (i + lo + hi - d * (k - 1) - 1) // s + 1
            for i, k, s, lo, hi, d in zip(
                self.spatial, self.kernel, self.stride, self.pad_low, self.pad_high, self.dilation
            )
        )

    def valid(self):
        if self.in_channels % self.groups or self.out_channels % self.groups:
            return False
        if any(o < 1 for o in self.out_spatial):
            return False
        # Batch statistics need more than one value per channel.
        per_channel = self.batch
        for o in self.out_spatial:
            per_channel *= o
        return self.mode != "train" or per_channel > 1


def inductor_cases():
    """Inductor's test_efficient_conv_bn_eval: Conv{1,2,3}d(3 -> 32, kernel 3,
    stride 2, bias on/off) + BatchNorm, input rand(4, 3, 96...), loss
    out.mean(); here in every mode."""
    cases = []
    for rank, bias, mode in itertools.product((1, 2, 3), (True, False), MODES):
        cases.append(
            Case(
                name=f"inductor_conv{rank}d_{'bias' if bias else 'nobias'}_{mode}",
                mode=mode, batch=4, in_channels=3, out_channels=32,
                spatial=(96,) * rank, kernel=(3,) * rank, stride=(2,) * rank,
                pad_low=(0,) * rank, pad_high=(0,) * rank, dilation=(1,) * rank,
                groups=1, bias=bias, affine=True, mean_loss=True,
            )
        )
    return cases


# Values each option takes somewhere in the sweep.
KERNELS = (1, 3, 7)
STRIDES = (1, 2)
PADDINGS = ("0", "1", "asym")
DILATIONS = (1, 2)
GROUPINGS = ("1", "2", "depthwise")
BATCHES = (1, 3)
SPATIAL = {1: (9, 13, 17, 23), 2: (5, 7, 9, 11), 3: (3, 5, 7)}


def _make(rng, name, mode, rank, kernel, stride, padding, dilation, grouping,
          bias, affine, batch, act_type="f32", stat_type="f32"):
    if grouping == "depthwise":
        channels = rng.choice((2, 4))
        cin, cout, groups = channels, channels, channels
    elif grouping == "2":
        cin, cout, groups = rng.choice(((2, 4), (4, 6), (6, 2))) + (2,)
    else:
        cin, cout, groups = rng.choice((1, 3, 4)), rng.choice((2, 5, 8)), 1
    pad = {"0": (0, 0), "1": (1, 1), "asym": (0, 2)}[padding]
    pad_low = tuple(pad[0] if i % 2 == 0 else pad[1] for i in range(rank))
    pad_high = tuple(pad[1] if i % 2 == 0 else pad[0] for i in range(rank))
    extent = dilation * (kernel - 1) + 1
    sizes = [s for s in SPATIAL[rank] if s + pad[0] + pad[1] >= extent] or [extent + 1]
    spatial = tuple(rng.choice(sizes) for _ in range(rank))
    return Case(
        name=name, mode=mode, batch=batch, in_channels=cin, out_channels=cout,
        spatial=spatial, kernel=(kernel,) * rank, stride=(stride,) * rank,
        pad_low=pad_low, pad_high=pad_high, dilation=(dilation,) * rank,
        groups=groups, bias=bias, affine=affine, act_type=act_type,
        stat_type=stat_type, epsilon=rng.choice((1e-5, 1e-3)),
        momentum=rng.choice((0.1, 0.01, 1.0)),
    )


def sweep_cases(seed=20261124, per_mode=24):
    """For every mode: each value of every option at least once (one-factor
    coverage over a random base), then random combinations."""
    rng = random.Random(seed)
    options = {
        "rank": (1, 2, 3), "kernel": KERNELS, "stride": STRIDES,
        "padding": PADDINGS, "dilation": DILATIONS, "grouping": GROUPINGS,
        "bias": (True, False), "affine": (True, False), "batch": BATCHES,
    }
    cases = []
    for mode in MODES:
        wanted = [(k, v) for k, values in options.items() for v in values]
        wanted += [None] * max(0, per_mode - len(wanted))
        for i, pin in enumerate(wanted):
            for _ in range(100):
                choice = {k: rng.choice(v) for k, v in options.items()}
                if pin:
                    choice[pin[0]] = pin[1]
                if choice["rank"] == 3 and choice["kernel"] == 7 and not pin == ("kernel", 7):
                    choice["kernel"] = 3  # keep 3-D cases small unless pinned
                case = _make(rng, f"sweep_{mode}_{i}", mode, **choice)
                if case.valid():
                    cases.append(case)
                    break
    return cases


def mixed_precision_cases(seed=7, per_mode=4):
    """f16 and bf16 activations with f32 statistics (how AMP trains), and
    with statistics of the activation type."""
    rng = random.Random(seed)
    cases = []
    for act, stat in (("f16", "f32"), ("bf16", "f32"), ("f16", "f16"), ("bf16", "bf16")):
        for mode in MODES:
            for i in range(per_mode):
                for _ in range(100):
                    case = _make(
                        rng, f"{act}_{stat}_{mode}_{i}", mode,
                        rank=rng.choice((1, 2, 3)), kernel=rng.choice((1, 3)),
                        stride=rng.choice(STRIDES), padding=rng.choice(PADDINGS),
                        dilation=rng.choice(DILATIONS), grouping=rng.choice(GROUPINGS),
                        bias=rng.choice((True, False)), affine=rng.choice((True, False)),
                        batch=rng.choice((2, 3)), act_type=act, stat_type=stat,
                    )
                    if case.valid():
                        cases.append(case)
                        break
    return cases


# (in, out channels, spatial, kernel, stride, padding low/high, dilation):
# GEMM extents M = out, N = output positions, K = in * kernel window that
# are not multiples of the tensor-core kernel's 64 x 64 x 16 tile (x 32 for
# 16-bit operands unless only 16 divides the channels; and one that is), strided and dilated windows, asymmetric padding; channels that
# are multiples of 16 in and out ("window": K ordered window x channels,
# forward and backward-data, whose filter tiles, with 64 rows or more, are
# swept along their rows, the forward one with a tail of 16; 64 channels
# in: the filter gradient's N ordered window x channels too; and with
# fewer filters than a tile's rows, strided and dilated, backward-data in
# stride phases: "window_strided"), or that divide 16 ("strided": 8 channels, K
# padded to whole steps of two window offsets) or do once padded ("stem",
# ResNet's first layer in small: 3 channels padded to 4, 4 window offsets
# per step). "split_k": a filter gradient of 6 blocks (2 batch chunks) and
# 64 K steps per chunk, which split-K shares among 8 blocks per tile, each
# adding its sums to the output atomically. The filter gradients read their output gradient in 16-byte
# vectors where its planes hold whole vectors ("tail", "exact"), and their
# input too where its output rows do ("tail" in f32, 12 columns) or it is
# 1x1 at stride 1 ("exact"), as the 1x1 filters ("exact").
TILE_SHAPES = (
    ("tail", 20, 70, (8, 12), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1)),
    ("strided", 8, 64, (15, 15), (3, 3), (2, 2), ((0, 1), (2, 0)), (2, 2)),
    ("exact", 16, 128, (8, 8), (1, 1), (1, 1), ((0, 0), (0, 0)), (1, 1)),
    ("window", 64, 80, (9, 7), (3, 3), (1, 1), ((1, 1), (0, 2)), (1, 1)),
    ("window_strided", 32, 48, (11, 10), (3, 3), (2, 2), ((1, 1), (1, 0)), (1, 2)),
    ("stem", 3, 24, (13, 11), (7, 7), (2, 2), ((3, 3), (3, 2)), (1, 1)),
    ("split_k", 16, 32, (32, 32), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1)),
)


def _shape_cases(prefix, shapes, modes_of):
    """One batch-2 case per shape of `shapes` (as TILE_SHAPES) and each
    (activation type, mode) that `modes_of` gives, named
    PREFIX_LABEL_TYPE_MODE."""
    cases = []
    for act, modes in modes_of.items():
        for (label, cin, cout, spatial, kernel, stride, pads, dilation), mode in \
                itertools.product(shapes, modes):
            cases.append(Case(
                name=f"{prefix}_{label}_{act}_{mode}", mode=mode, batch=2,
                in_channels=cin, out_channels=cout, spatial=spatial, kernel=kernel,
                stride=stride, pad_low=tuple(p[0] for p in pads),
                pad_high=tuple(p[1] for p in pads), dilation=dilation, groups=1,
                bias=label != "exact", affine=True, act_type=act))
    return cases


def tile_cases():
    """2-D convolutions larger than one tile of the GPU tensor-core kernel
    (-convbn-gpu-pipeline{tensor-cores=true}): every mode in f32, train and
    tune in f16 and bf16 (f32 statistics)."""
    return _shape_cases("tiles", TILE_SHAPES, {"f32": MODES, "f16": ("train", "tune"),
                                               "bf16": ("train", "tune")})


# Shapes whose forward and filter-gradient GEMMs have more than 64 rows,
# and "channels"' backward-data too, for the 128-row blocks
# (`tensor-core-block-m=128`), which a kernel of 64 rows or fewer does not
# take: TILE_SHAPES' backward-data GEMMs have at most 64 input channels,
# their stem 24 filters and their split filter gradient 32. "channels": 80 in
# (backward-data M: 80 of a tile's 128 rows; forward K window x
# channels), 96 out (forward and filter-gradient M; backward-data K window
# x channels); "stem": ResNet's first layer with 72 filters; "split_k":
# TILE_SHAPES' split filter gradient with 96 filters (one 128-row tile).
TALL_SHAPES = (
    ("channels", 80, 96, (7, 9), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1)),
    ("stem", 3, 72, (13, 11), (7, 7), (2, 2), ((3, 3), (3, 2)), (1, 1)),
    ("split_k", 16, 96, (32, 32), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1)),
)


def tall_cases():
    """TALL_SHAPES in f32 (tune and train), f16 (train) and bf16 (tune): in
    the suite with --tensor-cores only."""
    return _shape_cases("tall", TALL_SHAPES, {"f32": ("tune", "train"), "f16": ("train",),
                                              "bf16": ("tune",)})


# Filter gradients with 64 input channels (N ordered window x channels) whose
# K (an image's or a batch chunk's output positions) holds whole K steps, so
# that a thread takes consecutive positions in its turns: output rows of 12
# (crossed by a thread's turns, or for 16-bit elements more than once), of
# 6 in images of 2 rows, 8 images to a batch chunk (128 images, 16 chunks:
# a thread's turns cross into the next image, or more than one row), and
# strided with unequal padding and dilation.
GRADIENT_COPY_SHAPES = (
    ("rows", 2, (8, 12), (1, 1), ((1, 1), (1, 1)), (1, 1)),
    ("images", 128, (2, 6), (1, 1), ((1, 1), (1, 1)), (1, 1)),
    ("strided", 2, (17, 24), (2, 2), ((1, 0), (1, 2)), (1, 2)),
)


def gradient_copy_cases():
    """3x3 convolutions of 64 channels on GRADIENT_COPY_SHAPES, tune in f32
    and train in bf16, for the filter gradients' reads of the input's
    channels-last copy (`tensor-core-filter-gradient-input-copies`): in the
    suite with --tensor-cores only."""
    cases = []
    for label, batch, spatial, stride, pads, dilation in GRADIENT_COPY_SHAPES:
        for act, mode in (("f32", "tune"), ("bf16", "train")):
            cases.append(Case(
                name=f"gradcopy_{label}_{act}_{mode}", mode=mode, batch=batch,
                in_channels=64, out_channels=64, spatial=spatial, kernel=(3, 3),
                stride=stride, pad_low=tuple(p[0] for p in pads),
                pad_high=tuple(p[1] for p in pads), dilation=dilation, groups=1,
                bias=False, affine=True, act_type=act))
    return cases


def random_tile_cases(count, seed):
    """`count` random 2-D convolutions of tensor-core size (GEMMs of one to
    a few 64 x 64 tiles each way; channels often multiples of 16 or 32, so
    that the operand copies and vector gathers apply; kernels 1x1 to 7x7,
    some not square; strides, dilations and padding on either side), in a
    random mode, f32 in three of four and bf16 otherwise: a differential
    sweep of the tensor-core kernels and their pipeline options beyond
    TILE_SHAPES. Not in the default suite: conformance.py --random-tiles
    COUNT adds them."""
    rng = random.Random(seed)
    cases = []
    while len(cases) < count:
        kernel = rng.choice(((1, 1), (3, 3), (3, 3), (3, 3), (5, 5), (7, 7), (1, 3), (3, 1),
                             (3, 5)))
        stride = rng.choice(((1, 1), (1, 1), (2, 2), (1, 2)))
        dilation = rng.choice(((1, 1),) * 5 + ((2, 2), (1, 2)))
        pad_low = tuple(rng.randint(0, k // 2 + 1) if k > 1 else rng.choice((0, 0, 1))
                        for k in kernel)
        pad_high = tuple(p if rng.random() < 0.7 else rng.randint(0, k // 2 + 1)
                         for p, k in zip(pad_low, kernel))
        case = Case(
            name=f"random_tiles_{seed}_{len(cases)}", mode=rng.choice(MODES),
            batch=rng.choice((1, 2, 2, 3)),
            in_channels=rng.choice((3, 4, 8, 16, 20, 32, 32, 48, 64, 64, 96, 128)),
            out_channels=rng.choice((8, 16, 24, 64, 64, 70, 96, 128, 136)),
            spatial=tuple(rng.randint(5, 24) for _ in range(2)), kernel=kernel,
            stride=stride, pad_low=pad_low, pad_high=pad_high, dilation=dilation,
            groups=1, bias=rng.random() < 0.5, affine=True,
            act_type="bf16" if rng.random() < 0.25 else "f32")
        if case.act_type != "f32" and case.mode in ("eval", "deploy"):
            case = dataclasses.replace(case, mode="tune")
        if case.valid():
            cases.append(case)
    return cases


# (in, out channels, groups, spatial, kernel, stride, padding (low, high)
# per dimension, dilation): strides above 2 and unlike the kernel, dilations sharing a
# factor with the stride or not, padding that leaves some input phases
# with only padding, for backward-data's split into stride phases.
PHASE_SHAPES = (
    ("s3k4", 3, 4, 1, (20,), (4,), (3,), ((2, 1),), (1,)),
    ("s4k2d3", 2, 3, 1, (17,), (2,), (4,), ((0, 3),), (3,)),
    ("s4k3d2", 3, 2, 1, (16,), (3,), (4,), ((1, 0),), (2,)),
    ("s3k2lowpad", 2, 2, 1, (12,), (2,), (3,), ((4, 0),), (1,)),
    ("2d_mixed", 3, 5, 1, (11, 9), (5, 3), (3, 2), ((4, 0), (1, 2)), (1, 2)),
    ("2d_1x1s3", 4, 6, 1, (10, 8), (1, 1), (3, 3), ((0, 0), (0, 0)), (1, 1)),
    ("2d_grouped", 4, 6, 2, (10, 11), (3, 3), (3, 3), ((2, 2), (2, 2)), (2, 2)),
    ("2d_depthwise", 4, 4, 4, (7, 7), (3, 3), (2, 2), ((1, 1), (1, 1)), (1, 1)),
    ("2d_short", 3, 4, 1, (2, 9), (3, 3), (3, 3), ((1, 1), (1, 1)), (1, 1)),
    ("3d", 2, 3, 1, (5, 6, 4), (2, 2, 2), (2, 2, 2), ((1, 0), (1, 0), (1, 0)), (1, 1, 1)),
)


def phase_cases():
    """Strided backward-data, phase by phase: train and tune (their input
    gradients take different paths), eval on the 2-D shapes."""
    cases = []
    for label, cin, cout, groups, spatial, kernel, stride, pads, dilation in PHASE_SHAPES:
        modes = ("train", "tune", "eval") if label.startswith("2d") else ("train", "tune")
        for mode in modes:
            cases.append(Case(
                name=f"phases_{label}_{mode}", mode=mode, batch=2,
                in_channels=cin, out_channels=cout, spatial=spatial, kernel=kernel,
                stride=stride, pad_low=tuple(p[0] for p in pads),
                pad_high=tuple(p[1] for p in pads), dilation=dilation,
                groups=groups, bias=True, affine=True))
    return cases


# (batch, in, out channels, spatial, kernel, padding, stride, dilation):
# shapes that take the vectorized CPU schedule's other forms
# (-convbn-cpu-pipeline{vectorize=true}): 7x7 outputs whose filters fill more
# vector lanes than their positions (with vector-channels-last=false, both
# convolutions become GEMMs with the filters in the lanes), 2,304 positions
# per image (the backward-filter GEMM sums in f32 per image, in f64 across
# the two), and channels-last direct convolutions whose output widths (12, 6,
# 10) make row tiles of 6, 6 and 5 columns: a non-square kernel with
# asymmetric padding at stride 2 (backward-data split into stride phases),
# and a dilated one, and one whose row tiles of 3 columns leave their lanes
# to tiles of 48 filters, so that its 96 filters are copied in 2 blocks
# (the forward runs a convolution per block), and a stride-2 one whose
# copies outnumber its im2col matrix but not the filters-in-lanes GEMM's
# (2 blocks of 32); and 1x1 convolutions at stride 1, contractions on
# reshaped views whose lanes are 14 positions (196: no whole vector of 16)
# or 32 (64 positions), over several tiles of rows and reduction steps, in
# the forward and backward-data convolutions alike, their filter gradients
# on windows copied in panels of 32 channels (64 channels: two panels; 24:
# none), and a 1x1 convolution at stride 2 (its filter gradient's panels
# read every other position; the stride-1 phase of its backward-data a
# contraction), and one with 576 input channels at 18x18 -> 9x9 whose
# forward takes the filters-in-lanes GEMM, its windows copied in blocks of
# 3 x 3 output positions read at stride 2 (convbn-tile-transposes).
SCHEDULE_SHAPES = (
    ("lanes", 8, 128, 128, (7, 7), (3, 3), (1, 1), (1, 1), (1, 1)),
    ("chunks", 2, 3, 8, (48, 48), (3, 3), (1, 1), (1, 1), (1, 1)),
    ("last", 2, 16, 32, (12, 12), (3, 3), (1, 1), (1, 1), (1, 1)),
    ("last_strided", 2, 8, 16, (13, 11), (3, 5), (1, 2), (2, 2), (1, 1)),
    ("last_dilated", 1, 8, 16, (10, 10), (3, 3), (2, 2), (1, 1), (2, 2)),
    ("last_blocks", 2, 48, 96, (9, 9), (3, 3), (1, 1), (1, 1), (1, 1)),
    ("last_strided_lanes", 4, 32, 64, (13, 13), (3, 3), (1, 1), (2, 2), (1, 1)),
    ("pointwise", 2, 64, 32, (14, 14), (1, 1), (0, 0), (1, 1), (1, 1)),
    ("pointwise_wide", 2, 24, 40, (8, 8), (1, 1), (0, 0), (1, 1), (1, 1)),
    ("pointwise_strided", 2, 64, 16, (14, 14), (1, 1), (0, 0), (2, 2), (1, 1)),
    ("lanes_strided_windows", 2, 576, 32, (18, 18), (1, 1), (0, 0), (2, 2), (1, 1)),
)


def schedule_cases():
    """Every mode in f32 on SCHEDULE_SHAPES, with a bias."""
    cases = []
    for (label, batch, cin, cout, spatial, kernel, pad, stride, dilation), mode in \
            itertools.product(SCHEDULE_SHAPES, MODES):
        cases.append(Case(
            name=f"schedule_{label}_{mode}", mode=mode, batch=batch,
            in_channels=cin, out_channels=cout, spatial=spatial, kernel=kernel,
            stride=stride, pad_low=pad, pad_high=pad,
            dilation=dilation, groups=1, bias=True, affine=True))
    return cases
