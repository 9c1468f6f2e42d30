"""`dae --help` lists every command, and `dae COMMAND --help` every flag with its default.

  test_help.py PATH/TO/dae
"""

import re
import subprocess
import sys

DAE = sys.argv[1]
COMMANDS = ["train", "corrupt", "denoise", "eval", "compare", "bench", "info"]


def main():
    failures = []
    top = subprocess.run([DAE, "--help"], capture_output=True, text=True)
    if top.returncode != 0:
        failures.append(f"dae --help exited {top.returncode}")
    for command in COMMANDS:
        if not re.search(rf"^\s+{command}\b", top.stdout, re.M):
            failures.append(f"dae --help does not list {command}")
        out = subprocess.run([DAE, command, "--help"], capture_output=True, text=True)
        if out.returncode != 0:
            failures.append(f"dae {command} --help exited {out.returncode}")
        # An option line starts with its flag; its description may wrap onto the next line.
        lines = out.stdout.splitlines()
        options = 0
        for i, line in enumerate(lines):
            m = re.match(r"^\s{2}(-\w,)?(--[\w-]+)(.*)$", line)
            if not m or m.group(2) == "--help":
                continue
            options += 1
            text = m.group(3) + " " + (lines[i + 1] if i + 1 < len(lines) else "")
            if not ("=" in m.group(3) or "REQUIRED" in m.group(3) or "default:" in text):
                failures.append(f"dae {command}: {m.group(2)} shows no default: {line.strip()!r}")
        if options == 0 and command != "info":
            failures.append(f"dae {command} --help lists no options")
        print(f"dae {command} --help: {options} options")
    for f in failures:
        print("FAIL", f)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
