"""Known vulnerabilities in the installed (pinned) dependencies, by pip-audit.

Fails on any known vulnerability. When pip-audit cannot reach its vulnerability service
(PyPI's JSON API or OSV; some networks reach only the package index), every package is
skipped: that is said loudly, with the count, instead of passing as "no vulnerabilities".
Set PIZHU_AUDIT_REQUIRED=1 to fail in that case too.
"""

import json
import os
import subprocess
import sys

result = subprocess.run(
    [sys.executable, "-m", "pip_audit", "--format", "json", "--progress-spinner", "off"],
    capture_output=True,
    text=True,
    check=False,
)
try:
    report = json.loads(result.stdout)
except ValueError:
    sys.exit(f"pip-audit gave no report (exit {result.returncode}):\n{result.stderr}")
dependencies = report["dependencies"]
vulnerable = [d for d in dependencies if d.get("vulns")]
skipped = [d for d in dependencies if "skip_reason" in d]
for dependency in vulnerable:
    for vuln in dependency["vulns"]:
        fixed = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
        print(f"VULNERABLE {dependency['name']} {dependency['version']}: {vuln['id']} ({fixed})")
audited = len(dependencies) - len(skipped)
print(f"pip-audit: {audited} of {len(dependencies)} packages audited, {len(vulnerable)} vulnerable")
if skipped and not audited:
    print(
        "WARNING: nothing could be audited; the vulnerability service is unreachable from "
        f"here ({skipped[0]['skip_reason']})"
    )
if vulnerable or (not audited and os.environ.get("PIZHU_AUDIT_REQUIRED") == "1"):
    sys.exit(1)
