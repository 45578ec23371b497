#!/usr/bin/env python3
"""Writes sessions_app/engine/page/wpp-contract.ts from sessions_app/engine/wpp_contract.json.

Run it after changing the contract: `.venv/bin/python scripts/gen_wpp_types.py`
(sessions_app/tests/test_page_types.py fails while the two differ)."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yesapp.settings")

from sessions_app.engine import wpp_contract  # noqa: E402

wpp_contract.DECLARATIONS_PATH.write_text(wpp_contract.declarations())
print(f"wrote {wpp_contract.DECLARATIONS_PATH}")
