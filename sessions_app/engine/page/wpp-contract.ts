// Generated from sessions_app/engine/wpp_contract.json by scripts/gen_wpp_types.py: do not edit.
import type * as WA from '@wppconnect/wa-js';

// wa-js's own (eventEmitter.d.ts, not exported by the package): a payload as listener arguments.
type ListenerType<T> = [T] extends [(...args: infer U) => any] ? U : [T] extends [void] ? [] : [T];

/** The part of the real `WPP` that YesApp calls; the sandbox implements exactly this. */
export type ContractWPP = Pick<typeof WA, never> & {
  on<Name extends ContractEventName>(
    event: Name, listener: (...args: ListenerType<ContractEvents[Name]>) => void
  ): unknown;
  blocklist: Pick<typeof WA.blocklist, "all" | "blockContact" | "isBlocked" | "unblockContact">;
  call: Pick<typeof WA.call, "reject">;
  chat: Pick<typeof WA.chat, "deleteMessage" | "downloadMedia" | "editMessage" | "find" | "forwardMessages" | "getMessages" | "list" | "markIsComposing" | "markIsPaused" | "markIsRead" | "markIsRecording" | "sendCreatePollMessage" | "sendFileMessage" | "sendLocationMessage" | "sendReactionToMessage" | "sendTextMessage" | "sendVCardContactMessage">;
  conn: Pick<typeof WA.conn, "genLinkDeviceCodeForPhoneNumber" | "getAuthCode" | "getMyUserId" | "getStreamData" | "isAuthenticated" | "isMainReady" | "isRegistered" | "logout" | "refreshQR">;
  contact: Pick<typeof WA.contact, "get" | "getPnLidEntry" | "getProfilePictureUrl" | "getStatus" | "list" | "queryWidExists">;
  group: Pick<typeof WA.group, "addParticipants" | "create" | "demoteParticipants" | "getAllGroups" | "getInviteCode" | "getParticipants" | "join" | "leave" | "promoteParticipants" | "removeParticipants" | "revokeInviteCode" | "setDescription" | "setProperty" | "setSubject">;
  util: Pick<typeof WA.util, "blobToBase64">;
};

/** Fails to compile if the real `WPP.on` no longer fits the contract's `on`. */
export const realOnFits: ContractWPP['on'] = null as unknown as typeof WA.on;

/** The wa-js events the bridge subscribes to. */
export type ContractEventName = "call.incoming_call" | "chat.msg_ack_change" | "chat.msg_edited" | "chat.msg_revoke" | "chat.new_message" | "chat.new_reaction" | "chat.poll_response" | "chat.presence_change" | "conn.auth_code_change" | "conn.authenticated" | "conn.logout" | "conn.main_ready" | "conn.qrcode_idle" | "conn.stream_mode_changed" | "group.participant_changed";

/** Their payloads, as wa-js declares them. */
export type ContractEvents = Pick<WA.ev.EventTypes, ContractEventName>;
