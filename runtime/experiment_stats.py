"""The statistics of an experiment readout (docs/experiments.md), in plain Python: no
scipy at run time (the tests check every number against scipy).

- a rate (a true/false KPI): two-proportion z-test, pooled standard error for the test,
  unpooled for the 95% confidence interval of the difference;
- a mean (a numeric KPI): Welch's t-test (unequal variances), Welch–Satterthwaite degrees
  of freedom, the interval from Student's t;
- the minimum detectable effect of each arm against control (two-sided 5%, power 80%), from
  control's variance and both arm sizes;
- sample-ratio mismatch: Pearson's chi-square of the arm sizes against their shares.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

ALPHA = 0.05
POWER = 0.80
SRM_ALPHA = 0.001  # the usual threshold: a mismatch this unlikely means the split is broken
_NORMAL = NormalDist()


@dataclass(frozen=True)
class Sample:
    """One arm's values of one KPI: count of present values, mean, sample variance."""

    n: int
    mean: float
    variance: float  # with n - 1 (a rate: p(1 - p), the population variance)


@dataclass(frozen=True)
class Comparison:
    difference: float  # arm - control
    low: float  # 95% confidence interval of the difference
    high: float
    p_value: float
    statistic: float  # z or t
    test: str  # "two-proportion z-test" | "Welch's t-test"
    mde: float  # minimum detectable absolute difference for these sizes


def rate_sample(successes: int, n: int) -> Sample:
    p = successes / n if n else math.nan
    return Sample(n, p, p * (1 - p) if n else math.nan)


def mean_sample(values: list[float]) -> Sample:
    n = len(values)
    if n == 0:
        return Sample(0, math.nan, math.nan)
    mean = math.fsum(values) / n
    variance = math.fsum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else math.nan
    return Sample(n, mean, variance)


def compare_rates(control: Sample, arm: Sample) -> Comparison:
    difference = arm.mean - control.mean
    se = math.sqrt(control.variance / control.n + arm.variance / arm.n) \
        if control.n and arm.n else math.nan
    pooled = (control.mean * control.n + arm.mean * arm.n) / (control.n + arm.n) \
        if control.n + arm.n else math.nan
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / control.n + 1 / arm.n)) \
        if control.n and arm.n else math.nan
    z = difference / se0 if se0 else math.nan
    p_value = 2 * _NORMAL.cdf(-abs(z)) if not math.isnan(z) else math.nan
    critical = _NORMAL.inv_cdf(1 - ALPHA / 2)
    return Comparison(difference, difference - critical * se, difference + critical * se,
                      p_value, z, "two-proportion z-test", _mde(control, arm))


def compare_means(control: Sample, arm: Sample) -> Comparison:
    difference = arm.mean - control.mean
    a = control.variance / control.n if control.n > 1 else math.nan
    b = arm.variance / arm.n if arm.n > 1 else math.nan
    se = math.sqrt(a + b)
    if not se or math.isnan(se):
        return Comparison(difference, math.nan, math.nan, math.nan, math.nan,
                          "Welch's t-test", _mde(control, arm))
    df = (a + b) ** 2 / (a ** 2 / (control.n - 1) + b ** 2 / (arm.n - 1))
    t = difference / se
    p_value = 2 * student_t_sf(abs(t), df)
    critical = student_t_ppf(1 - ALPHA / 2, df)
    return Comparison(difference, difference - critical * se, difference + critical * se,
                      p_value, t, "Welch's t-test", _mde(control, arm))


def _mde(control: Sample, arm: Sample) -> float:
    """The smallest absolute difference detected with 80% power at 5% two-sided, assuming
    both arms have control's variance (the normal approximation)."""
    if not control.n or not arm.n or math.isnan(control.variance):
        return math.nan
    z = _NORMAL.inv_cdf(1 - ALPHA / 2) + _NORMAL.inv_cdf(POWER)
    return z * math.sqrt(control.variance * (1 / control.n + 1 / arm.n))


@dataclass(frozen=True)
class SampleRatio:
    chi_square: float
    p_value: float

    @property
    def mismatch(self) -> bool:
        return self.p_value < SRM_ALPHA


def sample_ratio(sizes: list[int], shares: list[float]) -> SampleRatio:
    """Pearson's chi-square of observed arm sizes against the arms' shares (normalized to
    the arms: members outside every arm are not part of the split)."""
    total, weight = sum(sizes), sum(shares)
    if total == 0 or len(sizes) < 2:
        return SampleRatio(0.0, 1.0)
    expected = [total * share / weight for share in shares]
    chi = math.fsum((o - e) ** 2 / e for o, e in zip(sizes, expected, strict=True))
    return SampleRatio(chi, chi_square_sf(chi, len(sizes) - 1))


# ---------------------------------------------------------------- distributions


def student_t_sf(t: float, df: float) -> float:
    """P(T > t) for t >= 0: half the regularized incomplete beta I_x(df/2, 1/2)."""
    x = df / (df + t * t)
    return 0.5 * _betainc(df / 2, 0.5, x)


def student_t_ppf(q: float, df: float) -> float:
    """The t with P(T <= t) = q (q > 0.5), by bisection on the survival function."""
    low, high = 0.0, 1.0
    while student_t_sf(high, df) > 1 - q:
        high *= 2
    for _ in range(200):
        middle = (low + high) / 2
        if student_t_sf(middle, df) > 1 - q:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def chi_square_sf(x: float, k: int) -> float:
    """P(X > x) for chi-square with k degrees of freedom: Q(k/2, x/2)."""
    return _gammaincc(k / 2, x / 2)


def _betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b) by Lentz's continued fraction."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log1p(-x))
    if x > (a + 1) / (a + b + 2):
        return 1.0 - _betainc(b, a, 1 - x)
    return front * _beta_fraction(a, b, x) / a


def _beta_fraction(a: float, b: float, x: float) -> float:
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 1000):
        numerator = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        for step in (numerator, -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + step * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + step / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1.0) < 1e-15:
            break
    return result


def _gammaincc(s: float, x: float) -> float:
    """Regularized upper incomplete gamma Q(s, x): series below s + 1, else continued
    fraction."""
    if x <= 0:
        return 1.0
    log_front = s * math.log(x) - x - math.lgamma(s)
    if x < s + 1:
        term = total = 1.0 / s
        n = s
        for _ in range(10_000):
            n += 1
            term *= x / n
            total += term
            if abs(term) < abs(total) * 1e-16:
                break
        return max(0.0, 1.0 - total * math.exp(log_front))
    tiny = 1e-300
    b = x + 1 - s
    c, d = 1 / tiny, 1 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - s)
        b += 2
        d = an * d + b
        d = 1 / (d if abs(d) > tiny else tiny)
        c = b + an / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        if abs(d * c - 1) < 1e-16:
            break
    return math.exp(log_front) * h
