"""dlbook: the helper package of the dlbook textbook.

A from-scratch NumPy deep-learning engine (``dlbook.nn``, ``dlbook.optim``), its PyTorch twins
(``dlbook.twins``, ``dlbook.compare``), data loaders (``dlbook.data``) and the book's sliders
(``dlbook.widgets``). Importing ``dlbook`` is cheap: torch is imported only by the modules that
need it.
"""
__version__ = "0.1.0"
