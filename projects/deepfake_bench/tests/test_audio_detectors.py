"""Audio detectors against first principles: the LFCC front end recomputed in NumPy/SciPy, the
GMM score against scikit-learn, the MFM, FMS and graph-pooling maps by hand, the sinc filters'
frequency responses, and the parameter counts of the lite and original shapes."""

import math

import numpy as np
import pytest
import torch
from deepfake_bench.detectors.audio.aasist import AASIST, GraphPool
from deepfake_bench.detectors.audio.base import crop_or_pad
from deepfake_bench.detectors.audio.lcnn import LFCCLCNN, MaxFeatureMap
from deepfake_bench.detectors.audio.lfcc import LFCC, linear_filterbank
from deepfake_bench.detectors.audio.lfcc_gmm import LFCCGMM
from deepfake_bench.detectors.audio.rawnet2 import FilterwiseScaling, RawNet2
from deepfake_bench.detectors.audio.sinc import SincConv
from scipy.fft import dct
from scipy.signal import get_window

from shared.errors import ConfigError

SR = 16_000


def tones(freqs, samples=8000, noise=0.0, seed=0):
    t = np.arange(samples) / SR
    rng = np.random.default_rng(seed)
    waves = [np.sin(2 * np.pi * f * t) + noise * rng.standard_normal(samples) for f in freqs]
    return torch.tensor(np.array(waves), dtype=torch.float32)


def edge_delta(c):
    """(c[t+1] - c[t-1]) / 2 with the first and last frames repeated."""
    padded = np.pad(c, ((1, 1), (0, 0)), mode="edge")
    return (padded[2:] - padded[:-2]) / 2


def n_params(module):
    return sum(p.numel() for p in module.parameters())


def test_lfcc_equals_a_numpy_computation_by_hand():
    signal = tones([440.0], samples=1000, noise=0.3)[0].double().numpy()
    frames = np.stack([signal[i * 160 : i * 160 + 320] for i in range(1 + (1000 - 320) // 160)])
    power = np.abs(np.fft.rfft(frames * get_window("hann", 320), n=512)) ** 2
    edges, bins = np.linspace(0, SR / 2, 22), np.arange(257) * SR / 512
    bank = np.stack([np.interp(bins, edges[i : i + 3], [0, 1, 0]) for i in range(20)])
    cepstra = dct(np.log(power @ bank.T + 1e-10), type=2, norm="ortho", axis=1)
    d1 = edge_delta(cepstra)
    expected = np.concatenate([cepstra, d1, edge_delta(d1)], axis=1)
    got = LFCC()(torch.tensor(signal[None], dtype=torch.float32))[0].double().numpy()
    assert got.shape == (5, 60)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=2e-3)


def test_lfcc_frames_filters_and_bad_input():
    lfcc = LFCC()
    assert lfcc(torch.zeros(2, 16_000)).shape == (2, 1 + (16_000 - 320) // 160, 60)  # 99 frames
    assert lfcc(torch.zeros(1, 320)).shape == (1, 1, 60)
    bank = linear_filterbank(20, 512, SR)
    # adjacent triangles sum to 1 between the first and the last centre (8000 / 21 Hz apart)
    inside = (torch.arange(257) * SR / 512 >= SR / 2 / 21) & (
        torch.arange(257) * SR / 512 <= 20 * SR / 2 / 21
    )
    torch.testing.assert_close(bank.sum(0)[inside], torch.ones(int(inside.sum())))
    with pytest.raises(ValueError, match=r"`waveforms` has shape \(1, 319\).*at least 320"):
        lfcc(torch.zeros(1, 319))
    with pytest.raises(ValueError, match=r"`waveforms` has shape \(320,\)"):
        lfcc(torch.zeros(320))


def test_crop_or_pad_is_seeded_and_repeat_pads():
    waves = torch.arange(20.0).view(2, 10)
    crop = crop_or_pad(waves, 4, torch.Generator().manual_seed(1))
    again = crop_or_pad(waves, 4, torch.Generator().manual_seed(1))
    assert torch.equal(crop, again) and crop.shape == (2, 4)
    for row, source in zip(crop, waves, strict=True):  # a contiguous window of its own row
        start = int(row[0] - source[0])
        assert torch.equal(row, source[start : start + 4])
    padded = crop_or_pad(torch.tensor([[1.0, 2.0, 3.0]]), 7, torch.Generator())
    assert padded.tolist() == [[1.0, 2.0, 3.0, 1.0, 2.0, 3.0, 1.0]]


def test_lfcc_gmm_score_is_the_difference_of_sklearn_mean_log_likelihoods():
    from sklearn.mixture import GaussianMixture

    reals = tones([300, 350, 400, 450, 500], noise=0.05)
    fakes = tones([2000, 2250, 2500, 2750, 3000], noise=0.05, seed=1)
    detector = LFCCGMM(n_components=4, max_iter=20)
    detector.prepare(reals, fakes)
    test = tones([325, 475, 2100, 2900], noise=0.05, seed=2)
    scores = detector(test).detach()
    assert scores[:2].max() < 0 < scores[2:].min()  # bona fide tones score low, spoof high
    gmms = [
        GaussianMixture(4, covariance_type="diag", max_iter=20, random_state=0).fit(
            LFCC()(w).flatten(0, 1).double().numpy()
        )
        for w in (reals, fakes)
    ]
    frames = LFCC()(test).double().numpy()
    expected = [gmms[1].score_samples(f).mean() - gmms[0].score_samples(f).mean() for f in frames]
    np.testing.assert_allclose(scores.double().numpy(), expected, rtol=1e-4)
    assert LFCCGMM().n_components == 32 and LFCCGMM("full").n_components == 512


def test_max_feature_map_by_hand_and_lcnn_sizes():
    x = torch.tensor([1.0, -2.0, 0.5, 4.0, 3.0, -1.0, 0.5, 2.0]).view(1, 4, 1, 2)
    # channels (0, 1) = [[1, -2], [0.5, 4]] against (2, 3) = [[3, -1], [0.5, 2]]
    assert MaxFeatureMap()(x).flatten().tolist() == [3.0, -1.0, 0.5, 4.0]
    lite = LFCCLCNN()
    assert 20_000 <= n_params(lite) <= 50_000 and lite.blstm is None
    full = LFCCLCNN("full")
    assert full.blstm is not None and full.blstm.num_layers == 2 and full.blstm.bidirectional
    assert full(torch.randn(2, 4000)).shape == (2,)
    with pytest.raises(ConfigError, match="reads audio data only"):
        lite.check_modality("image")


def test_sinc_band_pass_responses_peak_inside_their_bands():
    sinc = SincConv(20, 129)
    low, high = (edge.detach() for edge in sinc.bands())
    assert low[0].item() == pytest.approx(30, abs=1e-3) and high[-1].item() == pytest.approx(7900)
    # mel-spaced edges: equal steps on the mel scale
    mel = 2595 * torch.log10(1 + torch.cat([low, high[-1:]]) / 700)
    torch.testing.assert_close(mel.diff(), mel.diff().mean().expand(20), rtol=1e-5, atol=0)
    response = torch.fft.rfft(sinc.filters().detach(), n=16_000).abs()  # 1-Hz bins
    lobe = 4 * SR / 129  # Hamming main-lobe width: the resolution of 129 taps
    checked = 0
    for i in range(20):
        if low[i] > lobe / 2:  # clear of its mirror image at negative frequencies
            assert low[i] <= int(response[i].argmax()) <= high[i]
            checked += 1
        if high[i] - low[i] > lobe:  # wide enough for the window to reach full gain
            centre = int((low[i] + high[i]) / 2)
            assert response[i, centre].item() == pytest.approx(1.0, abs=0.02)  # unit gain
        far = (torch.arange(8001) < low[i] - lobe) | (torch.arange(8001) > high[i] + lobe)
        assert response[i][far].max() < 0.01  # Hamming side lobes: about -43 dB
    assert checked == 17  # all but the three lowest bands


def test_filterwise_scaling_by_hand():
    fms = FilterwiseScaling(2)
    with torch.no_grad():
        fms.fc.weight.copy_(torch.eye(2))
        fms.fc.bias.zero_()
    x = torch.tensor([[[1.0, 3.0], [-2.0, 0.0]]])  # channel means 2 and -1
    s2, s1 = 1 / (1 + math.exp(-2)), 1 / (1 + math.exp(1))
    expected = torch.tensor([[[s2 + s2, 3 * s2 + s2], [-2 * s1 + s1, s1]]])
    torch.testing.assert_close(fms(x), expected)


def test_rawnet2_parameter_counts_lite_and_original():
    assert 60_000 <= n_params(RawNet2()) <= 90_000
    full = RawNet2("full")
    assert full.sinc.kernel_size == 1025 and len(full.blocks) == 6
    # GRU(128 -> 1024, 3 layers): 3 gates × (input + hidden weights + two biases) per layer
    gru = 3 * (128 * 1024 + 1024 * 1024 + 2 * 1024) + 2 * 3 * (2 * 1024 * 1024 + 2 * 1024)
    assert n_params(full.gru) == gru == 16_140_288
    assert 17_500_000 <= n_params(full) <= 17_800_000


def test_graph_pool_keeps_the_top_nodes_scaled_by_their_scores():
    pool = GraphPool(1, ratio=0.5)
    with torch.no_grad():
        pool.score.weight.fill_(1.0)
        pool.score.bias.zero_()
    x = torch.tensor([[[1.0], [3.0], [-2.0], [0.0]]])
    sigmoid = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    expected = torch.tensor([[[3 * sigmoid(3)], [1 * sigmoid(1)]]])
    torch.testing.assert_close(pool(x), expected)


def test_aasist_tiny_forward_backward_and_sizes():
    torch.manual_seed(0)
    model = AASIST(n_filters=12, kernel_size=32, channels=(4, 4, 8), gat_dims=(8, 8))
    logits = model(torch.randn(4, 4000))
    assert logits.shape == (4,)
    logits.sum().backward()
    for param in (model.sinc.low_hz, model.position, *(b.master for b in model.branches)):
        assert param.grad is not None and param.grad.abs().sum() > 0
    assert max(block.body[-1].out_channels for block in AASIST().encoder) == 24
    assert 290_000 <= n_params(AASIST("full")) <= 305_000  # AASIST reports 297 k
