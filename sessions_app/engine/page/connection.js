// @ts-check
// Page scripts for linking and the connection (run by ChromiumEngine._call_page: each function
// gets the Python arguments and its result goes back as {ok, value|error}).

/**
 * Whether the account is linked, the stream mode, our own id and the QR string to show.
 * @returns {Promise<{authenticated: boolean, mode: string, myId: string, qr: string}>}
 */
async function readState() {
  const c = WPP.conn;
  const authenticated = !!(c.isAuthenticated() || c.isRegistered());
  const stream = c.getStreamData();
  const me = c.getMyUserId();
  const code = authenticated ? null : await c.getAuthCode();
  return {
    authenticated,
    mode: String((stream && stream.mode) || ''),
    myId: me ? me._serialized || String(me) : '',
    qr: code ? code.fullCode || '' : '',
  };
}

/** @returns {Promise<void>} */
async function refreshQr() {
  await WPP.conn.refreshQR();
}

/** @returns {Promise<boolean>} */
async function logout() {
  return await WPP.conn.logout();
}

/**
 * The 8-character code the phone asks for under "Link with phone number instead".
 * @param {string} phoneDigits international format, digits only
 * @returns {Promise<string>}
 */
async function pairingCode(phoneDigits) {
  return await WPP.conn.genLinkDeviceCodeForPhoneNumber(phoneDigits, true);
}
