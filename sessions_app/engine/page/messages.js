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
