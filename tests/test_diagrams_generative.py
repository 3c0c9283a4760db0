"""The chapter-7 diagrams draw the parts the text names and refuse a meaningless code size."""
import matplotlib
import pytest

matplotlib.use("Agg")

from matplotlib.patches import FancyArrowPatch, Polygon

from dlbook.diagrams.generative import autoencoder_diagram, gan_diagram, vae_diagram


def _texts(fig):
    return " ".join(t.get_text() for ax in fig.axes for t in ax.texts)


def _count(fig, kind):
    return sum(isinstance(p, kind) for ax in fig.axes for p in ax.patches)


def test_autoencoder_has_encoder_code_decoder_and_the_code_size():
    fig = autoencoder_diagram(latent=3)
    text = _texts(fig)
    for part in ("encoder", "decoder", "code $z$", "3 numbers", "reconstruction loss"):
        assert part in text
    assert _count(fig, Polygon) == 2          # two tapered networks
    assert _count(fig, FancyArrowPatch) == 5  # four data-flow arrows and the loss arrow


def test_vae_shows_the_reparameterisation_and_both_loss_terms():
    fig = vae_diagram()
    text = _texts(fig)
    for part in ("$\\mu$", "$\\log\\sigma^2$", "\\varepsilon \\sim", "\\mu + \\sigma\\odot\\varepsilon",
                 "KL", "reconstruction"):
        assert part in text
    assert _count(fig, FancyArrowPatch) == 9
    assert fig.get_size_inches()[0] <= 7.0 + 1e-9   # fits the page column


def test_gan_shows_both_players_and_both_losses():
    fig = gan_diagram()
    text = _texts(fig)
    for part in ("generator", "discriminator", "real", "fake", "\\mathcal{L}_D", "\\mathcal{L}_G"):
        assert part in text
    assert _count(fig, Polygon) == 2
    assert _count(fig, FancyArrowPatch) == 6


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "2"])
def test_a_code_size_that_is_not_a_positive_integer_is_refused(bad):
    with pytest.raises(ValueError, match="latent"):
        autoencoder_diagram(latent=bad)
    with pytest.raises(ValueError, match="latent"):
        vae_diagram(latent=bad)
