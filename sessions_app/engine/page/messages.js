// @ts-check
// Page scripts for sending, downloading and catching up on messages.

/**
 * What Python needs from wa-js's answer to a send: the id, the ack and, with `waitForAck`,
 * WhatsApp's verdict ('OK' or an 'ERROR_*' string; '' when it was not waited for).
 * @param {import('@wppconnect/wa-js').chat.SendMessageReturn} sent
 * @returns {Promise<{id: string, ack: number, result: string}>}
 */
async function sendOutcome(sent) {
  const res = sent.sendMsgResult ? await sent.sendMsgResult : null;
  return {
    id: sent.id,
    ack: sent.ack || 0,
    result: res && res.messageSendResult ? String(res.messageSendResult) : '',
  };
}

/**
 * @param {string} chatId
 * @param {string} text
 * @param {import('@wppconnect/wa-js').chat.TextMessageOptions} options
 */
async function sendText(chatId, text, options) {
  return await sendOutcome(await WPP.chat.sendTextMessage(chatId, text, options));
}

/**
 * @param {string} chatId
 * @param {string} dataUrl the file as a base64 data URL
 * @param {Parameters<typeof WPP.chat.sendFileMessage>[2]} options
 */
async function sendMedia(chatId, dataUrl, options) {
  return await sendOutcome(await WPP.chat.sendFileMessage(chatId, dataUrl, options));
}

/**
 * @param {string} chatId
 * @param {import('@wppconnect/wa-js').chat.LocationMessageOptions} options
 */
async function sendLocation(chatId, options) {
  return await sendOutcome(await WPP.chat.sendLocationMessage(chatId, options));
}

/**
 * Contact cards by WhatsApp id and name: WhatsApp builds each vCard from them.
 * @param {string} chatId
 * @param {{id: string, name: string}[]} contacts
 * @param {import('@wppconnect/wa-js').chat.SendMessageOptions} options
 */
async function sendContacts(chatId, contacts, options) {
  return await sendOutcome(await WPP.chat.sendVCardContactMessage(chatId, contacts, options));
}

/**
 * @param {string} chatId
 * @param {string} question
 * @param {string[]} choices
 * @param {Parameters<typeof WPP.chat.sendCreatePollMessage>[3]} options
 */
async function sendPoll(chatId, question, choices, options) {
  return await sendOutcome(await WPP.chat.sendCreatePollMessage(chatId, question, choices, options));
}

/**
 * A received message's media as a data URL.
 * @param {string} msgId
 * @returns {Promise<string>}
 */
async function downloadMedia(msgId) {
  const blob = await WPP.chat.downloadMedia(msgId);
  return await WPP.util.blobToBase64(blob);
}

/**
 * Messages newer than `since` (unix seconds) in the most recently active chats, in the
 * bridge's shape: what a reload or a full event queue may have kept from the bridge.
 * @param {number} since
 * @param {number} maxChats
 * @param {number} perChat
 * @returns {Promise<BridgeMessage[]>}
 */
async function catchUp(since, maxChats, perChat) {
  /** @type {BridgeMessage[]} */
  const found = [];
  for (const chat of await WPP.chat.list({ count: maxChats })) {
    if ((chat.t || 0) < since) continue;
    for (const msg of await WPP.chat.getMessages(chat.id, { count: perChat })) {
      if ((msg.t || 0) >= since) found.push(window.__yesapp.message(msg));
    }
  }
  return found;
}

/**
 * Reacts to a message; an empty emoji removes our reaction. Answers like a send, without an id.
 * @param {string} msgId
 * @param {string} emoji
 * @returns {Promise<{id: string, ack: number, result: string}>}
 */
async function react(msgId, emoji) {
  const answer = await WPP.chat.sendReactionToMessage(msgId, emoji || false);
  return { id: '', ack: 1, result: answer && answer.sendMsgResult ? String(answer.sendMsgResult) : '' };
}

/**
 * Deletes a message for everyone (`revoke`) or on this device. wa-js quietly deletes locally
 * when it may not revoke (not our message): that is reported as NOT_REVOKED.
 * @param {string} chatId
 * @param {string} msgId
 * @param {boolean} revoke
 * @returns {Promise<{id: string, ack: number, result: string}>}
 */
async function deleteMessage(chatId, msgId, revoke) {
  const answer = await WPP.chat.deleteMessage(chatId, msgId, false, revoke);
  const one = Array.isArray(answer) ? answer[0] : answer;
  let result = one ? String(one.sendMsgResult) : 'ERROR_UNKNOWN';
  if (result === 'OK' && revoke && !one.isRevoked) result = 'NOT_REVOKED';
  return { id: '', ack: 1, result: result };
}

/**
 * A new text for one of our messages. wa-js throws `edit_message_error` when WhatsApp's
 * canEditMsg says no (too old, not ours, not text).
 * @param {string} msgId
 * @param {string} text
 * @returns {Promise<{id: string, ack: number, result: string}>}
 */
async function editMessage(msgId, text) {
  const sent = await WPP.chat.editMessage(msgId, text, { waitForAck: true });
  const outcome = await sendOutcome(sent);
  return { id: '', ack: outcome.ack, result: outcome.result };
}

/**
 * Marks a chat read; answers like a send.
 * @param {string} chatId
 * @returns {Promise<{id: string, ack: number, result: string}>}
 */
async function markRead(chatId) {
  await WPP.chat.markIsRead(chatId);
  return { id: '', ack: 1, result: 'OK' };
}

/**
 * Shows typing, recording or paused in a chat. No duration: wa-js would wait it out before
 * answering, holding the session's actor; WhatsApp drops the state by itself after ~25 s.
 * Before a first message WhatsApp Web has no chat to show it in (wa-js assertGetChat throws
 * `chat_not_found`): the chat is opened with `WPP.chat.find`, as a person opens a new chat
 * before typing in it, and the state shown then.
 * @param {string} chatId
 * @param {string} state typing | recording | paused
 * @returns {Promise<{id: string, ack: number, result: string}>}
 */
async function setPresence(chatId, state) {
  const mark = { typing: WPP.chat.markIsComposing, recording: WPP.chat.markIsRecording,
                 paused: WPP.chat.markIsPaused }[state];
  if (!mark) return { id: '', ack: 0, result: 'UNKNOWN_STATE' };
  try {
    await mark(chatId);
  } catch (error) {
    const code = error && /** @type {{code?: string}} */ (error).code;
    if (code !== 'chat_not_found' || state === 'paused') throw error;
    await WPP.chat.find(chatId);
    await mark(chatId);
  }
  return { id: '', ack: 1, result: 'OK' };
}

/**
 * Forwards one message to a chat. wa-js answers with the messages it could not forward (it
 * does not reject), so an empty list is the success; the copy's id comes later with its echo.
 * @param {string} chatId
 * @param {string} msgId
 * @returns {Promise<{id: string, ack: number, result: string}>}
 */
async function forwardMessage(chatId, msgId) {
  const failed = await WPP.chat.forwardMessages(chatId, [msgId]);
  return { id: '', ack: 1, result: Array.isArray(failed) && failed.length ? 'NOT_FORWARDED' : 'OK' };
}
