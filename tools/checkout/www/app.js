// The checkout page (docs/checkout.md). Every state-changing call is a POST
// to this page's own server with the token it was served with. The PIN is
// sent only to that server (on this machine), which turns it into the card
// protocol's proof; the page keeps it in memory only until the answer.
'use strict';

const token = document.querySelector('meta[name="manne-token"]').content;
const $ = (id) => document.getElementById(id);
let sale = null;      // {amount, order}: the order number stays the same on a retry
let pin = '';
let polling = null;

async function post(path, fields) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'X-Manne-Token': token, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  return response.json();
}

async function get(path) {
  const response = await fetch(path, { cache: 'no-store' });
  return response.json();
}

function show(step) {
  for (const s of document.querySelectorAll('.step')) s.hidden = s.id !== step;
}

// "12,50", "12.5", "12": centimes, or null.
function centimes(text) {
  const m = /^\s*(\d{1,9})(?:[.,](\d{1,2}))?\s*$/.exec(text);
  if (!m) return null;
  const c = parseInt(m[1], 10) * 100 + (m[2] ? parseInt(m[2].padEnd(2, '0'), 10) : 0);
  return c > 0 ? c : null;
}

function euroText(c) {
  return Math.floor(c / 100) + ',' + String(c % 100).padStart(2, '0');
}

async function startSale() {
  const amount = centimes($('amount').value);
  $('amount-error').hidden = true;
  if (amount === null) {
    $('amount-error').textContent = 'Montant incorrect : par exemple 12,50';
    $('amount-error').hidden = false;
    return null;
  }
  let order = $('order').value.trim();
  if (order === '') {
    const r = await post('/api/order', {});
    order = r.order;
  }
  sale = { amount: euroText(amount), order };
  for (const e of document.querySelectorAll('.due-amount')) e.textContent = sale.amount;
  return sale;
}

function result(r) {
  stopPolling();
  const box = $('result');
  box.className = r.paid ? 'paid' : 'refused';
  if (r.paid) {
    $('result-title').textContent = 'Payé : ' + r.amount_text + ' Manne';
    $('result-detail').textContent = 'Reçu n° ' + r.leaf + ' — carte ou compte ' + r.short_id +
      (r.already ? ' (déjà payé : rien de plus n\u2019a été prélevé)' : '');
    $('btn-retry').hidden = true;
    loadDay();
  } else {
    $('result-title').textContent = r.message || 'Paiement refusé : voir l\u2019association';
    $('result-detail').textContent = 'Commande ' + sale.order;
    $('btn-retry').hidden = false;
  }
  show('step-result');
}

function failure() {
  result({ paid: false, message: 'La page ne joint plus son serveur : réessayez, rien ne sera payé deux fois' });
}

// ---- card + PIN ----

function drawPin() {
  $('pin-display').textContent = '\u25CF'.repeat(pin.length);
}

async function payByCard() {
  const card = $('card-text').value.trim();
  const fields = { amount: sale.amount, order: sale.order, card, pin };
  pin = '';
  drawPin();
  try {
    result(await post('/api/card', fields));
  } catch (e) {
    failure();
  }
  fields.pin = '';
}

// ---- payment request ----

function stopPolling() {
  if (polling !== null) clearTimeout(polling);
  polling = null;
}

async function waitForPayment() {
  try {
    const r = await post('/api/check', { amount: sale.amount, order: sale.order });
    if (r.paid || r.ok === false) {
      result(r);
      return;
    }
  } catch (e) {
    // a lost answer: look again; the order number finds the payment
  }
  if (!$('step-request').hidden) polling = setTimeout(waitForPayment, 300);
}

async function payByRequest() {
  const r = await post('/api/request', { amount: sale.amount, order: sale.order });
  if (!r.ok) {
    result(r);
    return;
  }
  $('qr-img').src = r.qr;
  $('request-uri').textContent = r.uri;
  show('step-request');
  stopPolling();
  polling = setTimeout(waitForPayment, 300);
}

// ---- the day ----

async function loadDay() {
  let d;
  try {
    d = await get('/api/day');
  } catch (e) {
    d = { ok: false, message: 'La page ne joint plus son serveur' };
  }
  $('day-error').hidden = d.ok;
  if (!d.ok) {
    $('day-error').textContent = d.message;
    return;
  }
  $('day-count').textContent = d.count;
  $('day-sum').textContent = d.sum_text;
  const list = $('day-list');
  list.textContent = '';
  for (const e of d.entries) {
    const tr = document.createElement('tr');
    if (e.kind !== 'paiement') tr.className = 'refund';
    for (const text of [e.time, e.order, (e.kind === 'paiement' ? '' : '\u2212') + e.amount_text, e.short_id || '']) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.appendChild(td);
    }
    const td = document.createElement('td');
    if (d.can_refund && e.kind === 'paiement') {
      const b = document.createElement('button');
      b.textContent = 'Rembourser';
      b.className = 'secondary refund-button';
      b.dataset.txid = e.txid;
      b.dataset.amount = e.amount_text;
      b.addEventListener('click', () => refund(b));
      td.appendChild(b);
    }
    tr.appendChild(td);
    list.appendChild(tr);
  }
}

async function refund(button) {
  const amount = window.prompt('Montant à rembourser (Manne)', button.dataset.amount);
  if (amount === null || centimes(amount) === null) return;
  const r = await post('/api/refund', { txid: button.dataset.txid, amount: euroText(centimes(amount)) });
  if (!r.ok) window.alert(r.message);
  loadDay();
}

// ---- camera, where the browser can read QR codes ----

async function readWithCamera() {
  const video = $('camera');
  const detector = new window.BarcodeDetector({ formats: ['qr_code'] });
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
  video.srcObject = stream;
  video.hidden = false;
  await video.play();
  const look = async () => {
    const codes = await detector.detect(video).catch(() => []);
    if (codes.length > 0) {
      $('card-text').value = codes[0].rawValue;
      stream.getTracks().forEach((t) => t.stop());
      video.hidden = true;
      return;
    }
    if (!video.hidden) requestAnimationFrame(look);
  };
  look();
}

// ---- wiring ----

function newSale() {
  stopPolling();
  sale = null;
  pin = '';
  drawPin();
  $('amount').value = '';
  $('order').value = '';
  $('card-text').value = '';
  show('step-amount');
  $('amount').focus();
}

document.addEventListener('DOMContentLoaded', async () => {
  $('btn-card').addEventListener('click', async () => {
    if (await startSale()) {
      show('step-card');
      $('card-text').focus();
    }
  });
  $('btn-request').addEventListener('click', async () => {
    if (await startSale()) payByRequest();
  });
  for (const b of document.querySelectorAll('#keypad button[data-digit]')) {
    b.addEventListener('click', () => {
      if (pin.length < 6) pin += b.dataset.digit;
      drawPin();
    });
  }
  $('btn-pin-clear').addEventListener('click', () => { pin = ''; drawPin(); });
  $('btn-pin-ok').addEventListener('click', payByCard);
  $('btn-card-cancel').addEventListener('click', newSale);
  $('btn-request-cancel').addEventListener('click', newSale);
  $('btn-new').addEventListener('click', newSale);
  $('btn-retry').addEventListener('click', () => {
    // Same order number: a payment that did land is found, not taken again.
    if ($('card-text').value.trim() !== '') show('step-card'); else payByRequest();
  });
  $('btn-day-refresh').addEventListener('click', loadDay);
  if ('BarcodeDetector' in window) {
    $('btn-camera').hidden = false;
    $('btn-camera').addEventListener('click', readWithCamera);
  }
  try {
    const info = await get('/api/info');
    $('till').textContent = (info.role === 'counter' ? 'Comptoir de l\u2019association ' :
      info.role === 'producer' ? 'Producteur ' : 'Boutique ') + info.short_id;
  } catch (e) {
    $('till').textContent = '';
  }
  loadDay();
  $('amount').focus();
});
