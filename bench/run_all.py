"""Run every benchmark in bench/ and report each one's figures."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
status = 0
for script in sorted(HERE.glob("*.py")):
    if script.name in {"run_all.py", "settings.py", "urls.py", "asgi.py", "querycount.py", "__init__.py"}:
        continue
    print(f"== {script.name}", flush=True)
    status |= subprocess.call([sys.executable, str(script), *sys.argv[1:]])
sys.exit(status)
