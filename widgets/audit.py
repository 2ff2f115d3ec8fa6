"""Figures that show whether a vignette can be gamed, for its authors.

A learner who notices that one lens always scores best, or that the longest answer
always wins, or that every answer leads to the same scene, can play for points
instead of thinking. :func:`audit` counts those patterns in one vignette and
:func:`combine` adds audits up; ``python -m widgets audit`` prints them.

How choices are compared at a choice node:

- a choice's *score* is the sum of its effects on the visible field dimensions
  (hidden variables are left out: the learner never sees them);
- the *top-scoring* choices are all those with the highest score, so with a tie
  the node counts once for each lens among the tied choices, and the three lens
  figures may add up to more than the number of choice nodes;
- the *longest* choices are all those whose ``say`` has the most characters, with
  runs of white space counted as one;
- the top-scoring choice is "also the longest" when some choice is both;
- choices "lead to the same next" when every choice has the same target, or the
  same branch list (the same branches in the same order; the order of the
  conditions within one ``if`` does not matter).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from widgets import force
from widgets.scenario import TONES, Choice, Next, Node, Scenario

__all__ = ["SAFETY", "TIES", "Audit", "audit", "combine"]

#: The field dimension whose lowering is counted per lens.
SAFETY = "safety"

#: How ties are counted, in one sentence (printed with the figures).
TIES = (
    "A choice's score is the sum of its effects on the visible field dimensions; when "
    "several choices share the top score, or the longest say, each of them counts, so a "
    "node counts once for every lens among its top-scoring choices and the three lens "
    "figures can add up to more than the choice nodes."
)


@dataclass(frozen=True)
class Audit:
    """The audit figures of one vignette, or of several added up.

    Attributes
    ----------
    name : str
        The vignette id, or a name for a total.
    files : tuple of str
        The files counted.
    choice_nodes : int
        Nodes that offer choices.
    top_lens : Mapping[str, int]
        Per lens: choice nodes where a top-scoring choice has that lens.
    tied : int
        Choice nodes where more than one choice has the top score.
    top_is_longest : int
        Choice nodes where a top-scoring choice is also a longest ``say``.
    same_next : int
        Choice nodes where every choice leads to the same next.
    endings : Mapping[str, int]
        Endings per tone.
    choices : Mapping[str, int]
        Choices per lens.
    lower_safety : Mapping[str, int]
        Per lens: choices with a negative effect on ``safety``.
    """

    name: str
    files: tuple[str, ...]
    choice_nodes: int
    top_lens: Mapping[str, int]
    tied: int
    top_is_longest: int
    same_next: int
    endings: Mapping[str, int]
    choices: Mapping[str, int]
    lower_safety: Mapping[str, int]

    def to_dict(self) -> dict[str, Any]:
        """The figures as JSON-ready data: counts, and shares of the choice nodes (0..1)."""

        def share(count: int) -> dict[str, Any]:
            whole = self.choice_nodes
            return {"nodes": count, "share": round(count / whole, 4) if whole else 0.0}

        return {
            "name": self.name,
            "files": list(self.files),
            "choice_nodes": self.choice_nodes,
            "top_scoring_lens": {lens: share(n) for lens, n in self.top_lens.items()},
            "top_score_tied": share(self.tied),
            "top_scoring_is_longest": share(self.top_is_longest),
            "same_next": share(self.same_next),
            "endings_by_tone": dict(self.endings),
            "choices_lowering_safety": {
                lens: {"lower": self.lower_safety[lens], "choices": self.choices[lens]}
                for lens in self.choices
            },
        }


def _score(scenario: Scenario, choice: Choice) -> int:
    return sum(delta for name, delta in choice.effects.items() if name in scenario.field)


def _length(choice: Choice) -> int:
    return len(" ".join(choice.say.split()))


def _next_key(next_: Next) -> Any:
    if isinstance(next_, str):
        return next_
    return tuple((frozenset(branch.conditions), branch.go) for branch in next_)


def _node_figures(scenario: Scenario, node: Node) -> tuple[set[str], bool, bool, bool]:
    """(lenses of the top-scoring choices, tied, a top one is a longest, same next)."""
    scores = [_score(scenario, c) for c in node.choices]
    lengths = [_length(c) for c in node.choices]
    top = [i for i, s in enumerate(scores) if s == max(scores)]
    longest = {i for i, n in enumerate(lengths) if n == max(lengths)}
    same = len({_next_key(c.next) for c in node.choices}) == 1
    lenses = {node.choices[i].lens for i in top}
    return lenses, len(top) > 1, bool(longest.intersection(top)), same


def audit(scenario: Scenario) -> Audit:
    """Count the patterns that let a vignette be gamed (see the module's notes)."""
    top_lens = dict.fromkeys(force.LENSES, 0)
    choices = dict.fromkeys(force.LENSES, 0)
    lower = dict.fromkeys(force.LENSES, 0)
    tied = longest = same = 0
    for node in scenario.nodes.values():
        if not node.choices:
            continue
        lenses, is_tied, is_longest, is_same = _node_figures(scenario, node)
        for lens in lenses:
            top_lens[lens] += 1
        tied += is_tied
        longest += is_longest
        same += is_same
        for choice in node.choices:
            choices[choice.lens] += 1
            lower[choice.lens] += choice.effects.get(SAFETY, 0) < 0
    endings = dict.fromkeys(TONES, 0)
    for ending in scenario.endings:
        endings[scenario.nodes[ending].tone or TONES[0]] += 1
    return Audit(
        name=scenario.id,
        files=(scenario.source,),
        choice_nodes=scenario.choice_node_count,
        top_lens=top_lens,
        tied=tied,
        top_is_longest=longest,
        same_next=same,
        endings=endings,
        choices=choices,
        lower_safety=lower,
    )


def combine(audits: Iterable[Audit], name: str = "total") -> Audit:
    """Add several audits up into one."""
    audits = list(audits)

    def added(attribute: str, keys: Iterable[str]) -> dict[str, int]:
        return {k: sum(getattr(a, attribute)[k] for a in audits) for k in keys}

    return Audit(
        name=name,
        files=tuple(f for a in audits for f in a.files),
        choice_nodes=sum(a.choice_nodes for a in audits),
        top_lens=added("top_lens", force.LENSES),
        tied=sum(a.tied for a in audits),
        top_is_longest=sum(a.top_is_longest for a in audits),
        same_next=sum(a.same_next for a in audits),
        endings=added("endings", TONES),
        choices=added("choices", force.LENSES),
        lower_safety=added("lower_safety", force.LENSES),
    )
