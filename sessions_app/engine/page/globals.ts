// What the page scripts (this folder) and the sandbox's WPP (static/sandbox/wpp/) find in the
// page, for tsc (tsconfig.json). Hand-written; the contract part is generated (wpp-contract.ts).
import type * as WA from '@wppconnect/wa-js';
import type { ContractWPP } from './wpp-contract';

declare global {
  /** The `WPP` the engine may rely on: the contract's functions plus the loader's flags. */
  type PageWPP = ContractWPP & Pick<typeof WA, 'version' | 'isInjected' | 'isReady' | 'isFullReady'>;

  /** The sandbox's WPP (static/sandbox/wpp/wpp.js): PageWPP, plus `off` (wa-js has it too). */
  type SandboxWPP = PageWPP & { off: ContractWPP['on'] };

  /** A message as the bridge hands it to Python (bridge.js `message`). */
  interface BridgeMessage {
    id: { _serialized: string } | null;
    t: number;
    [field: string]: unknown;
  }

  interface Window {
    WPP: PageWPP;
    /** The contract's event names, set by the engine before the bridge runs. */
    __yesappEvents?: string[];
    /** The engine's DevTools binding (page_push.py): the bridge calls it when it queues events. */
    __yesappPush?: (payload: string) => void;
    /** The bridge (bridge.js), installed before the page's own scripts. */
    __yesapp: {
      drain(ack: { bridge: string | null; seq: number } | null, waitMs: number, done: (answer: any) => void): void;
      message(msg: unknown): BridgeMessage;
      pending(): number;
      /** The event names the bridge listens to on this page load. */
      subscribed(): string[];
    };
  }

  var WPP: PageWPP;
}

export {};
