"""Code similarity with copydetect: winnowed fingerprints of each submission's tokens (names, comments
and layout filtered out), the template's fingerprints removed as copydetect's boilerplate, and
copydetect's comparison of a pair.

A submission's lines that are the template's are blanked before fingerprinting (same length, so that
copydetect's matches still point into the code shown): otherwise every fingerprint that straddles a
student's line and the template's around it would match another student who wrote a line of the same
shape (`30 * key[:2]...` and `1.3 * key[:2]...` followed by the same template lines).

Comparing every pair with copydetect is quadratic (about 20 µs a pair: 2.4 s for 500 submissions, four
times that for 1000, more with earlier terms), so the pairs are first chosen from the fingerprints they
share: only a pair sharing at least half the threshold's share of its fingerprints is compared.

Code that many submissions share (more than `common_limit`: an idiom, an answer everyone writes the
same way) is no evidence, and is removed like the template, as MOSS does.
"""
from __future__ import annotations

import io
import math
from collections import Counter, defaultdict
from itertools import combinations

import numpy as np
from copydetect import CodeFingerprint, compare_files, defaults
from copydetect.utils import get_token_coverage

from autograder.integrity.findings import CodeMatch, Spans
from autograder.integrity.sources import Source, joined

K = defaults.NOISE_THRESHOLD  # characters of filtered code per fingerprint (copydetect's default)
WINDOW = defaults.GUARANTEE_THRESHOLD - K + 1  # winnowing window: a match this long is always found
MIN_OVERLAP = 3 * K  # characters of filtered code two submissions must share to be flagged at all
COMMON_MIN, COMMON_SHARE = 10, 0.05  # code in more submissions than both is common code


def boilerplate_hashes(template: list[str]) -> np.ndarray:
    """Every fingerprint of the template's code, its cells joined as a submission's are (a .py export
    runs them together), as copydetect computes boilerplate (window 1)."""
    hashes = CodeFingerprint("template.py", K, 1, fp=io.StringIO(joined(template)), language="python").hashes
    return np.unique(np.array(list(hashes), dtype=np.int64))


def common_limit(count: int) -> int:
    """A fingerprint found in more submissions than this (of `count`) is common code."""
    return max(COMMON_MIN, math.ceil(COMMON_SHARE * count))


def template_lines(template: list[str]) -> frozenset[str]:
    """The template's lines, stripped (blank ones left out)."""
    return frozenset(line.strip() for cell in template for line in cell.split("\n")) - {""}


def blank_template_lines(code: str, known: frozenset[str]) -> str:
    """`code` with each line that is a template line replaced by spaces (a line with an odd number of
    quotes, which may open or close a string, is kept: blanking it would change what is a string)."""
    return "\n".join(" " * len(line) if line.strip() in known and (line.count("'") + line.count('"')) % 2 == 0
                     else line for line in code.split("\n"))


class CodeIndex:
    """The fingerprints of every source's code, the template and common code removed."""

    def __init__(self, sources: list[Source], template: list[str]) -> None:
        boilerplate, known = boilerplate_hashes(template), template_lines(template)
        self.sources = sources
        self.prints = [CodeFingerprint(f"{i}.py", K, WINDOW, boilerplate, language="python",
                                       fp=io.StringIO(blank_template_lines(s.code, known)))
                       for i, s in enumerate(sources)]
        found = Counter(h for fp in self.prints for h in fp.hashes)
        limit = common_limit(sum(1 for s in sources if s.code))
        common = {h for h, n in found.items() if n > limit}
        for fp in self.prints:
            _remove(fp, common)

    def similar(self, threshold: float) -> dict[tuple[int, int], CodeMatch]:
        """The pairs (i < j, at least one of them of this batch) whose code is alike: copydetect's
        similarity of at least `threshold` on one side, over at least MIN_OVERLAP characters."""
        found = {}
        for (i, j), shared in self._shared().items():
            if shared >= threshold / 2 * min(len(self.prints[i].hashes), len(self.prints[j].hashes)):
                match = self.compare(i, j)
                if match.score >= threshold and match.overlap >= MIN_OVERLAP:
                    found[i, j] = match
        return found

    def compare(self, i: int, j: int) -> CodeMatch:
        """copydetect's comparison of sources i and j."""
        overlap, similarity, slices = compare_files(self.prints[i], self.prints[j])
        if overlap == 0:
            return CodeMatch((0.0, 0.0), 0)
        return CodeMatch((float(similarity[0]), float(similarity[1])), int(overlap),
                         (_spans(slices[0]), _spans(slices[1])))

    def _shared(self) -> Counter[tuple[int, int]]:
        """How many fingerprints each pair shares (pairs of two earlier submissions left out)."""
        holders = defaultdict(list)
        for i, fp in enumerate(self.prints):
            for h in fp.hashes:
                holders[h].append(i)
        shared: Counter[tuple[int, int]] = Counter()
        for indices in holders.values():
            shared.update((i, j) for i, j in combinations(indices, 2)
                          if not (self.sources[i].party.term and self.sources[j].party.term))
        return shared


def _remove(fp: CodeFingerprint, hashes: set[int]) -> None:
    """Drop `hashes` from a fingerprint as copydetect drops boilerplate (its coverage recounted)."""
    dropped = fp.hashes & hashes
    if dropped:
        fp.hashes -= dropped
        for h in dropped:
            del fp.hash_idx[h]
        fp.token_coverage = get_token_coverage(fp.hash_idx, fp.k, len(fp.filtered_code))


def _spans(slices: np.ndarray) -> Spans:
    """copydetect's 2 x N slice array as (start, end) pairs."""
    return tuple((int(start), int(end)) for start, end in zip(slices[0], slices[1]))
