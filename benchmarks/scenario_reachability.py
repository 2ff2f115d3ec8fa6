"""How long vignette validation takes when branches read hidden state.

Generates a vignette of 200 nodes with 5 hidden variables (deterministic for a
seed): every node before the last ten offers three choices whose effects move one
or two variables by -2..2, and about half of the choices lead on through a branch
list whose conditions read the hidden variables; the last ten nodes are endings.
Edges only lead forward, so every path ends, but the (node, values) states multiply
from node to node.

For each row it validates the text (YAML, schema, graph checks and the state check,
as ``python -m widgets validate`` does) several times and prints the median time,
the states the state check visited and whether it finished within its bound. The
rows vary how many of the hidden variables conditions read (a variable that no
condition reads is not part of a state) and the bound.

Usage (from the course root)::

    python benchmarks/scenario_reachability.py
    python benchmarks/scenario_reachability.py --runs 3 --seed 7 --write /tmp/big.yaml
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

from widgets.datafile import parse_yaml
from widgets.reachability import MAX_STATES, explore
from widgets.scenario import _freeze, check_text

NODES = 200
ENDINGS = 10
HIDDEN = ("risk", "trust", "disclosure", "shame", "hope")
FIELD = {"safety": 4, "mutuality": 3, "context": 2}
LENSES = ("medical", "relational", "integrative")


def generate(seed: int, read: int = len(HIDDEN), nodes: int = NODES) -> str:
    """A valid-shaped vignette whose conditions read the first ``read`` hidden variables."""
    rng = random.Random(seed)
    names = [f"scene-{i:03d}" for i in range(nodes)]
    readable = HIDDEN[:read]
    variables = list(FIELD) + list(HIDDEN)
    # Every node after the first gets one plain edge from a node shortly before it,
    # so that each one is reachable whatever the conditions do.
    last = nodes - ENDINGS
    parents: dict[int, list[int]] = {i: [] for i in range(last)}
    for j in range(1, nodes):
        free = [p for p in range(max(0, j - 6), min(j, last)) if len(parents[p]) < 3]
        free = free or [p for p in range(min(j, last)) if len(parents[p]) < 3]
        parents[rng.choice(free)].append(j)
    lines = [
        f"id: generated-{seed}",
        "movement: assessment",
        "title: A generated vignette",
        "summary: A fictional vignette generated to time validation.",
        "client: {name: Gen, about: A fictional client.}",
        "field:",
        *(f"  {name}: {value}" for name, value in FIELD.items()),
        "hidden:",
        *(f"  {name}: {rng.randint(3, 7)}" for name in HIDDEN),
        f"start: {names[0]}",
        "nodes:",
    ]
    for i, name in enumerate(names):
        lines += [f"  {name}:", f"    text: Scene {i}."]
        if i >= last:
            lines += ["    end: true", f"    tone: {rng.choice(('hopeful', 'mixed', 'costly'))}"]
            continue
        lines.append("    choices:")
        must = list(parents.get(i, []))
        for c in range(3):
            picked = rng.sample(variables, rng.choice((1, 2)))
            effects = ", ".join(f"{v}: {rng.choice((-2, -1, 1, 2))}" for v in picked)
            ahead = range(i + 1, min(i + 7, nodes))
            default = must.pop() if must else rng.choice(ahead)
            lines += [
                f"      - say: Response {c} at scene {i}.",
                f"        lens: {LENSES[c]}",
                f"        effects: {{{effects}}}",
                "        feedback: Feedback on this response.",
            ]
            if readable and rng.random() < 0.5:
                tested = rng.sample(readable, rng.choice((1, 2)) if len(readable) > 1 else 1)
                conditions = ", ".join(
                    f'{v}: "{rng.choice((">=", "<=", ">", "<"))} {rng.randint(3, 7)}"'
                    for v in tested
                )
                lines += [
                    "        next:",
                    f"          - if: {{{conditions}}}",
                    f"            go: {names[rng.choice(ahead)]}",
                    f"          - go: {names[default]}",
                ]
            else:
                lines.append(f"        next: {names[default]}")
    lines.append("debrief: Generated.")
    return "\n".join(lines) + "\n"


def measure(text: str, max_states: int, runs: int) -> tuple[float, int, bool, int]:
    """(median seconds of a full validation, states, complete, problems) over ``runs``."""
    times = []
    problems: list = []
    for _ in range(runs):
        started = time.perf_counter()
        scenario, problems = check_text(text, "generated.yaml", max_states=max_states)
        times.append(time.perf_counter() - started)
    # The same graph again, built without the checks, to count the states visited.
    found = explore(_freeze(parse_yaml(text), "generated.yaml"), max_states)
    return statistics.median(times), found.states, found.complete, len(problems)


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="validations per row (median)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated vignette")
    parser.add_argument("--write", type=Path, help="also write the generated vignette here")
    args = parser.parse_args()
    if args.write:
        args.write.write_text(generate(args.seed), encoding="utf-8")
    rows = [(0, MAX_STATES), (1, MAX_STATES), (2, MAX_STATES), (3, MAX_STATES)]
    rows += [(5, 10_000), (5, 50_000), (5, MAX_STATES)]
    print(
        f"{NODES} nodes, {len(HIDDEN)} hidden variables, seed {args.seed}, "
        f"median of {args.runs} validations"
    )
    print(
        f"{'read by conditions':>18} {'bound':>9} {'states':>9} {'complete':>8} "
        f"{'problems':>8} {'seconds':>8}"
    )
    for read, bound in rows:
        text = generate(args.seed, read)
        seconds, states, complete, problems = measure(text, bound, args.runs)
        print(
            f"{read:>18} {bound:>9,} {states:>9,} {'yes' if complete else 'no':>8} "
            f"{problems:>8} {seconds:>8.3f}"
        )


if __name__ == "__main__":
    main()
