"""Runs the DfE community's SSDA903 validator (PyPI: csc-validator-be-903) on one year's
return, as `caseflow export-903` writes it, and prints what it found as JSON:

    {"errors": {"<rule>": <rows>, ...}, "children": {"<rule>": ["<CHILD>", ...], ...},
     "failed": [...], "skipped": [...], "ran": <n>}

"children" names, for each rule with errors, the children of the rows it flagged.

Usage: python validate_903.py FOLDER COLLECTION_END_YEAR RULESET
e.g.   python validate_903.py export/2023-24 2024 lac2023_24
"""

import importlib
import json
import logging
import sys
from pathlib import Path

logging.disable(logging.CRITICAL)

from lac_validator import lac_validator  # noqa: E402
from lac_validator.types import UploadedFile  # noqa: E402


def main() -> None:
    folder, year, ruleset = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    files = [
        UploadedFile(name=p.name, description="This year", file_content=p.read_bytes())
        for p in sorted(folder.glob("*.csv"))
    ]
    registry = getattr(importlib.import_module(f"lac_validator.rules.{ruleset}"), "registry")
    v = lac_validator.LacValidator(
        metadata={"collectionYear": year, "localAuthority": "E09000027"},
        files=files,
        registry=registry,
        selected_rules=None,
    )
    errors = {}
    children = {}
    for table, frame in v.ds_results.items():
        if table == "metadata":
            continue
        for column in frame.columns:
            if column.startswith("ERR_"):
                rows = int(frame[column].fillna(False).astype(bool).sum())
                if rows:
                    code = column[4:]
                    errors[code] = errors.get(code, 0) + rows
                    if "CHILD" in frame.columns:
                        flagged = frame.loc[frame[column].fillna(False).astype(bool), "CHILD"]
                        children.setdefault(code, set()).update(str(c) for c in flagged)
    print(
        json.dumps(
            {
                "errors": errors,
                "children": {code: sorted(ids) for code, ids in children.items()},
                "failed": sorted(v.fails),
                "skipped": sorted(v.skips),
                "ran": len(v.dones),
            }
        )
    )


if __name__ == "__main__":
    main()
