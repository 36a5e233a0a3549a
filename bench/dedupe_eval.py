#!/usr/bin/env python
"""Print precision and recall of duplicate detection on a labelled set (CUS-5).

    python bench/dedupe_eval.py [--count 3000] [--seed 5]

The set (guanxi/customers/tests/dedupe_cases.py) holds `count` true customers and as
many contacts; 30% are entered again once or twice with realistic variations (other legal
suffix, traditional characters, full-width letters, pinyin, typos, names in the other
order, reformatted phones, upper-cased or Gmail-dotted emails, missing fields, a moved
office, a new job). Pairs are found exactly as the finder does: shared blocking keys,
weighted scores with the default rules, clusters. Needs no database.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=5)
    options = parser.parse_args()
    import django

    django.setup()
    from guanxi.customers.tests import dedupe_cases

    for entity in ("account", "contact"):
        labelled = dedupe_cases.cases(entity, options.count, seed=options.seed)
        result = dedupe_cases.evaluate(entity, labelled)
        print(
            f"{entity:8} {result['records']:6,} records  {result['true_pairs']:5,} true pairs  "
            f"{result['found_pairs']:5,} found  precision {result['precision']:.3f}  "
            f"recall {result['recall']:.3f}"
        )
        missed = sorted(result["missed_by_variation"].items(), key=lambda item: -item[1])
        print("         missed pairs by variation:", ", ".join(f"{k} {v}" for k, v in missed[:8]))


if __name__ == "__main__":
    main()
