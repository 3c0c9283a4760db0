"""Diagrams of chapter 7: the autoencoder, the VAE with its reparameterisation trick, the GAN.

Each function draws the block diagram that d2l and the CS231n notes draw for the model, from the
primitives of :mod:`dlbook.diagrams.base`, and returns the matplotlib Figure. Layers are drawn as
trapezoid-like boxes whose height shows the width of the representation (wide image, narrow code),
so the bottleneck is visible at a glance.
"""
from __future__ import annotations

import numbers

from dlbook.diagrams.base import DIAGRAM_COLORS, arrow, box, canvas, label, node

__all__ = ["autoencoder_diagram", "vae_diagram", "gan_diagram"]


def _check_latent(latent):
    if isinstance(latent, bool) or not isinstance(latent, numbers.Integral) or latent < 1:
        raise ValueError(f"latent: expected a positive integer (the code size), got {latent!r}")
    return int(latent)


def _network(ax, x, y, wide_left, text, color, width=1.5):
    """A network drawn as a tapered polygon: tall on its wide side, short on its narrow side."""
    from matplotlib.patches import Polygon

    tall, short = 1.6, 0.7
    left, right = (tall, short) if wide_left else (short, tall)
    corners = [(x - width / 2, y - left / 2), (x + width / 2, y - right / 2),
               (x + width / 2, y + right / 2), (x - width / 2, y + left / 2)]
    patch = Polygon(corners, closed=True, facecolor=DIAGRAM_COLORS[color],
                    edgecolor=DIAGRAM_COLORS["ink"], linewidth=1.0)
    ax.add_patch(patch)
    label(ax, (x, y), text)
    return patch


def autoencoder_diagram(latent: int = 2):
    """Image x -> encoder f_phi -> code z (``latent`` numbers) -> decoder g_theta -> x_hat,
    with the reconstruction loss comparing x_hat with x. Returns the Figure."""
    latent = _check_latent(latent)
    fig, ax = canvas(9.2, 3.0, scale=0.72)
    box(ax, (0.7, 1.7), 1.0, 1.6, "image\n$x$", color="input")
    _network(ax, 2.6, 1.7, True, "encoder\n$f_\\phi$", "weight")
    box(ax, (4.6, 1.7), 1.1, 0.7, f"code $z$\n({latent} numbers)", color="highlight",
        fontsize=9)
    _network(ax, 6.6, 1.7, False, "decoder\n$g_\\theta$", "weight")
    box(ax, (8.5, 1.7), 1.0, 1.6, "output\n$\\hat x$", color="output")
    for start, end in ((1.2, 1.85), (3.35, 4.05), (5.15, 5.85), (7.35, 8.0)):
        arrow(ax, (start, 1.7), (end, 1.7))
    arrow(ax, (0.7, 0.85), (8.5, 0.85), style="<|-|>", color="sum")
    label(ax, (4.6, 0.45), "reconstruction loss: BCE$(x, \\hat x)$", fontsize=9)
    label(ax, (4.6, 2.75), "bottleneck", fontsize=9, style="italic")
    return fig


def vae_diagram(latent: int = 2):
    """The VAE with the reparameterisation trick: the encoder outputs mu and log sigma^2, the
    noise epsilon ~ N(0, I) enters from outside, z = mu + sigma * epsilon feeds the decoder; the
    two loss terms (reconstruction and KL to the prior) are labelled. Returns the Figure."""
    latent = _check_latent(latent)
    fig, ax = canvas(10.0, 4.2, scale=0.7)
    y = 2.3
    box(ax, (0.6, y), 0.9, 1.6, "image\n$x$", color="input")
    _network(ax, 2.3, y, True, "encoder\n$q_\\phi$", "weight")
    box(ax, (4.0, y + 0.55), 0.9, 0.55, "$\\mu$", color="sum", text_color="white")
    box(ax, (4.0, y - 0.55), 0.9, 0.55, "$\\log\\sigma^2$", color="sum", fontsize=9,
        text_color="white")
    node(ax, (5.6, y), radius=0.42, text="$\\mu + \\sigma\\odot\\varepsilon$", color="highlight",
         fontsize=7)
    box(ax, (5.6, 0.55), 1.7, 0.55, "$\\varepsilon \\sim \\mathcal{N}(0, I)$", color="neutral",
        fontsize=9)
    box(ax, (6.9, y), 0.7, 0.6, "$z$", color="highlight")
    _network(ax, 8.2, y, False, "decoder\n$p_\\theta$", "weight", width=1.3)
    box(ax, (9.5, y), 0.8, 1.6, "$\\hat x$", color="output")
    arrow(ax, (1.05, y), (1.55, y))
    arrow(ax, (3.05, y + 0.3), (3.55, y + 0.55))
    arrow(ax, (3.05, y - 0.3), (3.55, y - 0.55))
    arrow(ax, (4.45, y + 0.55), (5.2, y + 0.15))
    arrow(ax, (4.45, y - 0.55), (5.2, y - 0.15))
    arrow(ax, (5.6, 0.85), (5.6, y - 0.42), color="output")
    arrow(ax, (6.02, y), (6.55, y))
    arrow(ax, (7.25, y), (7.55, y))
    arrow(ax, (8.85, y), (9.1, y))
    label(ax, (5.6, 3.55), f"reparameterisation: {latent}-D code, noise from outside,\n"
          "so gradients reach $\\mu$ and $\\sigma$", fontsize=8)
    label(ax, (4.0, 1.05), "KL$(q_\\phi(z|x)\\,\\|\\,\\mathcal{N}(0,I))$", fontsize=8,
          color=DIAGRAM_COLORS["sum"])
    label(ax, (8.7, 0.85), "reconstruction:\n$-\\log p_\\theta(x|z)$", fontsize=8,
          color=DIAGRAM_COLORS["sum"])
    return fig


def gan_diagram():
    """Noise z -> generator G -> fake G(z); real x and fake both go to the discriminator D, which
    outputs D(.) in (0, 1); the two losses are written under it. Returns the Figure."""
    fig, ax = canvas(10.0, 4.0, scale=0.7)
    box(ax, (0.7, 1.1), 1.0, 0.8, "noise\n$z \\sim p_z$", color="neutral", fontsize=9)
    _network(ax, 2.5, 1.1, False, "generator\n$G$", "weight", width=1.4)
    box(ax, (4.4, 1.1), 1.2, 0.8, "fake\n$G(z)$", color="output", fontsize=9)
    box(ax, (4.4, 3.0), 1.2, 0.8, "real\n$x \\sim p_{data}$", color="input", fontsize=9)
    _network(ax, 6.6, 2.05, True, "discriminator\n$D$", "activation", width=1.8)
    box(ax, (8.9, 2.05), 1.5, 0.8, "$D(\\cdot)$: P(real)", color="highlight", fontsize=9)
    arrow(ax, (1.2, 1.1), (1.8, 1.1))
    arrow(ax, (3.2, 1.1), (3.8, 1.1))
    arrow(ax, (5.0, 1.2), (5.7, 1.75))
    arrow(ax, (5.0, 2.9), (5.7, 2.35))
    arrow(ax, (7.5, 2.05), (8.15, 2.05))
    arrow(ax, (8.9, 1.6), (2.6, 0.5), color="output", style="-|>", linewidth=1.0)
    label(ax, (6.4, 0.35), "gradient of $\\mathcal{L}_G$ flows back through $D$ into $G$",
          fontsize=8, color=DIAGRAM_COLORS["output"])
    label(ax, (8.0, 3.55), "$\\mathcal{L}_D = -\\log D(x) - \\log(1 - D(G(z)))$", fontsize=9)
    label(ax, (8.0, 3.1), "$\\mathcal{L}_G = -\\log D(G(z))$", fontsize=9)
    return fig
