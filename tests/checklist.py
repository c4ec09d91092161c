"""The end-to-end test scripts' checks (tests/cli/test_cli.py, tests/mpi/test_mpi.py): each check
counted, a failure printed with its detail, the tally and the exit status at the end."""
import sys

counts = {"passed": 0, "failed": 0}


def check(name, condition, detail=""):
    if condition:
        counts["passed"] += 1
    else:
        counts["failed"] += 1
        print(f"FAIL {name}: {detail}")


def finish():
    print(f"{counts['passed']} passed, {counts['failed']} failed")
    sys.exit(1 if counts["failed"] else 0)
