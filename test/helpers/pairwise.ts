// All-pairs test cases: every value of each factor meets every value of every other factor in at
// least one case, in far fewer cases than the full product. Greedy and deterministic: each case
// starts from the first pair not yet covered and fills the other factors, in order, with the value
// that covers most new pairs (the first such value on a tie), so the set is the same on every run.

type Factors = Record<string, readonly string[]>;
export type PairwiseCase<F extends Factors> = { [K in keyof F]: F[K][number] };

/** The pairs of (factor, value) that `cases` leave uncovered, as `[["a","x"],["b","y"]]`; empty when the set is all-pairs. */
export function uncoveredPairs<F extends Factors>(factors: F, cases: readonly PairwiseCase<F>[]): string[] {
  const covered = new Set(cases.flatMap((one) => pairsOf(factors, one as Record<string, string>)));
  return allPairs(factors).filter((pair) => !covered.has(pair));
}

export function pairwiseCases<F extends Factors>(factors: F): PairwiseCase<F>[] {
  const names = Object.keys(factors);
  const uncovered = new Set(allPairs(factors));
  const cases: PairwiseCase<F>[] = [];
  while (uncovered.size > 0) {
    const [first] = uncovered;
    const chosen: Record<string, string> = Object.fromEntries(JSON.parse(first ?? "[]") as [string, string][]);
    for (const name of names) {
      if (chosen[name] !== undefined) continue;
      let best = factors[name]?.[0] ?? "";
      let bestGain = -1;
      for (const value of factors[name] ?? []) {
        const gain = Object.entries(chosen).filter(([other, otherValue]) =>
          uncovered.has(pairKey(name, value, other, otherValue, names)),
        ).length;
        if (gain > bestGain) [best, bestGain] = [value, gain];
      }
      chosen[name] = best;
    }
    for (const pair of pairsOf(factors, chosen)) uncovered.delete(pair);
    cases.push(Object.fromEntries(names.map((name) => [name, chosen[name]])) as PairwiseCase<F>);
  }
  return cases;
}

function allPairs(factors: Factors): string[] {
  const names = Object.keys(factors);
  const pairs: string[] = [];
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      for (const a of factors[names[i] ?? ""] ?? []) {
        for (const b of factors[names[j] ?? ""] ?? []) pairs.push(pairKey(names[i] ?? "", a, names[j] ?? "", b, names));
      }
    }
  }
  return pairs;
}

function pairsOf(factors: Factors, one: Record<string, string>): string[] {
  const names = Object.keys(factors);
  const pairs: string[] = [];
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      pairs.push(pairKey(names[i] ?? "", one[names[i] ?? ""] ?? "", names[j] ?? "", one[names[j] ?? ""] ?? "", names));
    }
  }
  return pairs;
}

/** The key of a pair, its factors in declaration order. */
function pairKey(name: string, value: string, other: string, otherValue: string, names: string[]): string {
  const pair = [
    [name, value],
    [other, otherValue],
  ];
  return JSON.stringify(names.indexOf(name) < names.indexOf(other) ? pair : pair.reverse());
}
