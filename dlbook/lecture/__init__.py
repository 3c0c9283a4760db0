"""Lecture material made from the chapter notebooks: reveal.js slides and student notebooks.

``python -m dlbook.lecture`` (README's first command runs it after the website is built) writes,
for every chapter in ``_toc.yml``, ``_build/html/slides/<chapter>.html`` and
``_build/html/student/<chapter>.ipynb``, so the lecture kit is always made from the same
notebooks as the book and cannot drift from it.
"""
