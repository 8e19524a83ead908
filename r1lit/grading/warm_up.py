"""Warm a fresh grading worker before it takes its first real check.

math-verify parses LaTeX with an ANTLR parser whose prediction cache (a DFA) is built lazily, one
grammar path at a time: in a fresh process the first answers with fractions, intervals, matrices or
equations cost several times what they cost later. Measured on half of the 188 worker-bound MATH-500
checks of ``bench/grading.py``: 1.38 s of CPU in a fresh worker, 0.64 s after this warm-up (0.62 s
in a worker that had graded the other half first). The warm-up itself costs ~2.4 s of CPU, once per
worker, before the worker says "ready": the one-time cost stays out of every check's timeout (a first
check could otherwise time out on a loaded machine), and each worker of a pool starts as warm as a
long-lived one instead of every worker re-learning the same grammar paths.

The pairs are generic answer shapes written for this purpose, not benchmark answers.
"""

from __future__ import annotations

from r1lit.grading import equivalence

WARM_UP_PAIRS: tuple[tuple[str, str], ...] = (
    (r"$\frac{7}{2}$", r"$3.5$"),
    (r"$\dfrac{3\sqrt{5}}{4}$", r"$\frac{\sqrt{45}}{4}$"),
    (r"$2\pi - \frac{\pi}{6}$", r"$\frac{11\pi}{6}$"),
    (r"$x^2 - 4x + 3$", r"$(x-1)(x-3)$"),
    (r"$y = -\frac{1}{2}x + 4$", r"$y=3x-2$"),
    (r"$a^2 + b^2 - c^2$", r"$4R^2$"),
    (r"$[-3, 5)$", r"$(-3,5]$"),
    (r"$(-\infty, -1) \cup (2, \infty)$", r"$x > 2$"),
    (r"$x \in [0, 4]$", r"$[0,4]$"),
    (r"$-1 \le x \le 6$", r"$[-1,6]$"),
    (r"$\{-2, 0, 3\}$", r"$\{1 \pm \sqrt{2}\}$"),
    (r"$(4, -1, 2)$", r"$(0,0,1)$"),
    (r"$\begin{pmatrix} 2 \\ -\frac{1}{4} \end{pmatrix}$", r"$\begin{pmatrix} 2 \\ -1/4 \end{pmatrix}$"),
    (r"$\begin{bmatrix} 1 & 0 \\ 0 & 1 \end{bmatrix}$", r"$\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}$"),
    (r"$1021_3$", r"$34_{5}$"),
    (r"$15\%$", r"$0.15$"),
    (r"$45^\circ$", r"$\frac{\pi}{4}$"),
    (r"$\sin 2x + \cos^2 x$", r"$\tan \theta$"),
    (r"$\log_2 8 + \ln e$", r"$4$"),
    (r"$3 - 2i$", r"$\sqrt{-4}$"),
    (r"$\text{(C)}$", r"$\textbf{(B)}$"),
    (r"$12, 18$", r"$18, 12$"),
    (r"$2\sqrt[3]{6} \cdot 10^{-2}$", r"$5 \times 10^3$"),
    (r"$\binom{8}{3}$", r"$\frac{8!}{3!\,5!}$"),
    (r"$|x - 1| + \lfloor y \rfloor$", r"$\infty$"),
    (r"$f(x) = e^{2x}$", r"$\sum_{k=1}^{n} k$"),
    (r"$\left( \frac{1}{2}, -\frac{\sqrt{3}}{2} \right)$", r"$\left(0.5,-\frac{\sqrt3}{2}\right)$"),
    (r"$\left[ -\frac{\pi}{3}, \frac{2\pi}{3} \right]$", r"$\left[ -1, 2 \right)$"),
    (r"$\frac{\frac{1}{2} + 3}{4 - \frac{2}{5}}$", r"$\frac{35}{36}$"),
    (r"$-\frac{9}{14}$", r"$-0.75$"),
    (r"$3\frac{1}{4}$", r"$\frac{13}{4}$"),
    (r"$x = -2, x = 5$", r"$5, -2$"),
    (r"$x \neq 1$", r"$x \geq 0$"),
    (r"$(-\infty, 3] \cap [1, 5)$", r"$\emptyset$"),
    (r"$\mathbb{R}$", r"$\{x \mid x > 0\}$"),
    (r"$5\text{ cm}^2$", r"$\$4.50$"),
    (r"$\theta = \frac{\alpha}{2}$", r"$\cos^{-1}\left(\frac{1}{3}\right)$"),
    (r"$\frac{a+b}{ab}$", r"$\frac{1}{a} + \frac{1}{b}$"),
    (r"$2^{\frac{3}{2}} \cdot 3^{-1}$", r"$\sqrt{\frac{8}{9}}$"),
    (r"$\frac{6 - 2\sqrt{3}}{3}$", r"$2-\frac{2}{\sqrt{3}}$"),
    (r"$0.\overline{36}$", r"$\frac{4}{11}$"),
    (r"$1.5 \times 10^{-4}$", r"$0.00015$"),
    (r"$\frac{1}{x^2 + 1}$", r"$\frac{d}{dx} \arctan x$"),
    (r"$a_n = 3 \cdot 2^{n-1}$", r"$6n - 3$"),
    (r"$\text{odd}$", r"$\text{neither}$"),
    (r"$\pm 2\sqrt{2}$", r"$2\sqrt{2}, -2\sqrt{2}$"),
)


def warm_up() -> None:
    """Run ``equivalence.check`` over ``WARM_UP_PAIRS`` (worker start-up only; results are discarded)."""
    for pred, gold in WARM_UP_PAIRS:
        try:
            equivalence.check(pred, gold)
        except Exception:  # noqa: BLE001, S112 - a shape math-verify cannot read still warmed the parser
            continue
