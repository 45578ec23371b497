"""The exact wa-js surface YesApp uses: the functions the engine calls and the events the
bridge subscribes to. The sandbox implements exactly these, and the contract test checks
every name against the pinned wa-js bundle, so neither can drift from the real library.

One source, wpp_contract.json: this module reads it, and `declarations()` turns it into the
TypeScript that tsc checks the page scripts and the sandbox against (page/wpp-contract.ts,
written by scripts/gen_wpp_types.py; a test fails when the file and the JSON differ)."""

import json
from collections import defaultdict
from pathlib import Path

from django.conf import settings

CONTRACT_JSON = Path(__file__).parent / "wpp_contract.json"
DECLARATIONS_PATH = Path(__file__).parent / "page" / "wpp-contract.ts"

_contract = json.loads(CONTRACT_JSON.read_text())
# Dotted paths under window.WPP that must be functions.
FUNCTIONS: tuple[str, ...] = tuple(_contract["functions"])
# Events the bridge queues for the engine (payloads as in ../shared/WAJS.md).
EVENTS: tuple[str, ...] = tuple(_contract["events"])


# In every status reason that says the page lacks a contract function: /metrics counts them.
CONTRACT_BROKEN_MARK = "lacks WPP."


def contract_broken_message(whatsapp_version: str, missing: list[str]) -> str:
    """The status reason and lastError of a session whose page lacks contract functions."""
    more = f" (and {len(missing) - 1} more: {', '.join(missing[1:4])})" if len(missing) > 1 else ""
    return (
        f"WhatsApp Web {whatsapp_version or '(version unknown)'} {CONTRACT_BROKEN_MARK}{missing[0]}{more}: "
        "update wa-js (docs/UPGRADING_WAJS.md)"
    )


def wajs_bundle_path() -> Path:
    """Where `make install` puts the pinned bundle (npm `@wppconnect/wa-js`)."""
    return Path(settings.WAJS_BUNDLE_PATH)


HEADER = """\
// Generated from sessions_app/engine/wpp_contract.json by scripts/gen_wpp_types.py: do not edit.
import type * as WA from '@wppconnect/wa-js';

// wa-js's own (eventEmitter.d.ts, not exported by the package): a payload as listener arguments.
type ListenerType<T> = [T] extends [(...args: infer U) => any] ? U : [T] extends [void] ? [] : [T];
"""


def _union(names) -> str:
    return " | ".join(json.dumps(name) for name in sorted(names)) or "never"


def declarations() -> str:
    """The contract as TypeScript: `ContractWPP` is `Pick` of wa-js's own namespaces for exactly
    the contract's functions, `ContractEvents` is wa-js's event map for exactly its events."""
    top, by_namespace = [], defaultdict(list)
    for name in FUNCTIONS:
        namespace, _, function = name.rpartition(".")
        (by_namespace[namespace] if namespace else top).append(function)
    # wa-js's `on` returns its emitter, which nothing here uses: the contract's `on` takes the
    # contract's events with wa-js's payload types (the real `on` is checked to fit it).
    subscribe = "on" in top
    top = [name for name in top if name != "on"]
    members = [f"  {ns}: Pick<typeof WA.{ns}, {_union(fns)}>;" for ns, fns in sorted(by_namespace.items())]
    return "\n".join(
        [
            HEADER,
            "/** The part of the real `WPP` that YesApp calls; the sandbox implements exactly this. */",
            f"export type ContractWPP = Pick<typeof WA, {_union(top)}> & {{",
            *(
                [
                    "  on<Name extends ContractEventName>(",
                    "    event: Name, listener: (...args: ListenerType<ContractEvents[Name]>) => void",
                    "  ): unknown;",
                ]
                if subscribe
                else []
            ),
            *members,
            "};",
            "",
            "/** Fails to compile if the real `WPP.on` no longer fits the contract's `on`. */",
            "export const realOnFits: ContractWPP['on'] = null as unknown as typeof WA.on;"
            if subscribe
            else "",
            "",
            "/** The wa-js events the bridge subscribes to. */",
            f"export type ContractEventName = {_union(EVENTS)};",
            "",
            "/** Their payloads, as wa-js declares them. */",
            "export type ContractEvents = Pick<WA.ev.EventTypes, ContractEventName>;",
            "",
        ]
    )
