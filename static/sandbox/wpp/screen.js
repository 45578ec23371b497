// The sandbox's WPP: what a person looking at the page sees (the login state, the QR or
// pairing code, a log of the last messages). Nothing here talks to the app.
// @ts-check
var SandboxScreen = (function () {
  'use strict';
  var config = SandboxCore.config;
  var state = SandboxCore.state;

  function describe(msg) {
    var quote = (msg.isForwarded ? '⇒ ' : '') + (msg.quotedStanzaID ? '↩ ' : '');
    if (msg.type === 'chat') return quote + msg.body;
    if (msg.type === 'location') return quote + '[location ' + msg.lat + ',' + msg.lng + ']';
    if (msg.type === 'vcard' || msg.type === 'multi_vcard') {
      return quote + '[contact ' + (msg.vcardFormattedName || (msg.vcardList || []).length) + ']';
    }
    if (msg.type === 'poll_creation') return quote + '[poll ' + msg.pollName + ']';
    return '[' + msg.type + (msg.filename ? ' ' + msg.filename : '') + ']' + (msg.caption ? ' ' + msg.caption : '');
  }

  function ackName(ack) {
    return { 1: 'sent', 2: 'delivered', 3: 'read', 4: 'played' }[ack] || String(ack);
  }

  function logLine(text) {
    var list = document.getElementById('log');
    if (!list) return;
    var item = document.createElement('li');
    item.textContent = new Date().toLocaleTimeString() + '  ' + text;
    list.insertBefore(item, list.firstChild);
    while (list.children.length > 30) list.removeChild(list.lastChild);
  }

  function render() {
    var status = document.getElementById('status');
    if (!status) return;
    var qr = /** @type {HTMLImageElement} */ (document.getElementById('qr'));
    var reload = document.getElementById('qr-reload');
    var pairing = document.getElementById('pairing');
    var hint = document.getElementById('hint');
    var showingQr = !state.loggedIn && !!state.authCode;
    qr.hidden = !showingQr || state.idle;
    if (showingQr && qr.src !== state.qrImage) qr.src = state.qrImage;
    reload.hidden = state.loggedIn || !state.idle;
    pairing.hidden = state.loggedIn || !state.pairingCode;
    pairing.textContent = state.pairingCode.replace(/^(.{4})/, '$1-');
    hint.textContent = state.loggedIn ? '' :
      'Scan it with the sandbox phone: POST /api/v1/sandbox/sessions/' + config.sessionId + '/link';
    var me = state.me ? state.me.phone + (state.me.pushName ? ' (' + state.me.pushName + ')' : '') : '';
    var text;
    if (!state.booted) text = 'Loading…';
    else if (!state.loggedIn) text = state.idle ? 'The QR code expired' : 'Waiting for a scan';
    else if (state.mode === 'OFFLINE') text = 'Offline: the phone is not reachable · ' + me;
    else if (state.mode === 'SYNCING') text = 'Loading your chats… · ' + me;
    else text = 'Connected as ' + me;
    status.textContent = text;
    document.title = 'YesApp sandbox · ' + text;
  }

  return { describe: describe, ackName: ackName, logLine: logLine, render: render };
})();
