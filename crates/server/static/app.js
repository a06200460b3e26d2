// DocSpot: small enhancements only. Every page works without this script.
(function () {
  'use strict';

  // Ask before destructive actions (forms with data-confirm), and stop double submits.
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var question = form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    if (form.getAttribute('data-submitting') === '1') {
      event.preventDefault();
      return;
    }
    form.setAttribute('data-submitting', '1');
    // A disabled button is left out of the form's data, so keep the pressed one's value.
    var pressed = event.submitter;
    if (pressed && pressed.name) {
      var carry = document.createElement('input');
      carry.type = 'hidden';
      carry.name = pressed.name;
      carry.value = pressed.value;
      carry.setAttribute('data-carried', '1');
      form.appendChild(carry);
    }
    var buttons = form.querySelectorAll('button[type="submit"], button:not([type])');
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].disabled = true;
      buttons[i].setAttribute('aria-busy', 'true');
    }
  });

  // Coming back through the history cache must not leave buttons disabled.
  window.addEventListener('pageshow', function (event) {
    if (!event.persisted) return;
    var forms = document.querySelectorAll('form[data-submitting]');
    for (var i = 0; i < forms.length; i++) {
      forms[i].removeAttribute('data-submitting');
      var carried = forms[i].querySelectorAll('input[data-carried]');
      for (var k = 0; k < carried.length; k++) carried[k].remove();
      var buttons = forms[i].querySelectorAll('button');
      for (var j = 0; j < buttons.length; j++) {
        buttons[j].disabled = false;
        buttons[j].removeAttribute('aria-busy');
      }
    }
  });

  // Live regions (the waiting-room board, the staff queue): the server sends the region's
  // new HTML as a server-sent event named by data-live-event after every change. The
  // browser's EventSource reconnects by itself after a dropped connection. A redraw waits
  // while the person is using the region (a focused field, select or button, or a form on
  // its way), so an open choice is never thrown away; it lands when the focus leaves, and
  // until then the region is marked as behind (data-pending).
  document.addEventListener('DOMContentLoaded', function () {
    var live = document.querySelector('[data-live]');
    if (!live || typeof window.EventSource !== 'function') return;
    var waiting = null;
    function inUse() {
      var focused = document.activeElement;
      var control = focused && focused !== live && live.contains(focused) &&
        /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(focused.tagName);
      return control || live.querySelector('form[data-submitting]') !== null;
    }
    function draw() {
      if (waiting === null) return;
      if (inUse()) {
        live.setAttribute('data-pending', '');
        return;
      }
      live.innerHTML = waiting;
      live.removeAttribute('data-pending');
      waiting = null;
    }
    var source = new window.EventSource(live.getAttribute('data-live'));
    source.addEventListener(live.getAttribute('data-live-event') || 'board', function (event) {
      waiting = event.data;
      draw();
    });
    // Focus moves after focusout has fired; look once it has landed.
    live.addEventListener('focusout', function () {
      window.setTimeout(draw, 0);
    });
  });

  // After a failed submit, put the cursor in the first field that needs attention.
  document.addEventListener('DOMContentLoaded', function () {
    var invalid = document.querySelector('[aria-invalid="true"]');
    if (invalid && typeof invalid.focus === 'function') invalid.focus();
  });
  // The installable app: a service worker keeps the patient's own pages readable offline
  // and shows push notifications (static/sw.js). Sign-out clears what it kept.
  if ('serviceWorker' in navigator && window.isSecureContext) {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(function () {});
    document.addEventListener('submit', function (event) {
      var form = event.target;
      var action = form instanceof HTMLFormElement ? form.getAttribute('action') : '';
      if (action === '/logout' && navigator.serviceWorker.controller) {
        navigator.serviceWorker.controller.postMessage({ type: 'clear' });
      }
    });
  }

  // "Notifications on this device" (the account's notifications page): subscribes this
  // browser to web push with the install's key and keeps the subscription.
  function keyBytes(base64url) {
    var text = window.atob(base64url.replace(/-/g, '+').replace(/_/g, '/') +
      '===='.slice((base64url.length + 3) % 4 + 1));
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  }
  document.addEventListener('DOMContentLoaded', function () {
    var button = document.querySelector('[data-push-subscribe]');
    if (!button || !('serviceWorker' in navigator) || !('PushManager' in window)) return;
    var status = document.querySelector('[data-push-status]');
    function say(text) { if (status) status.textContent = text; }
    button.hidden = false;
    button.addEventListener('click', function () {
      button.disabled = true;
      Notification.requestPermission().then(function (permission) {
        if (permission !== 'granted') throw new Error('Notifications are blocked for this site.');
        return Promise.all([
          navigator.serviceWorker.ready,
          fetch('/api/v1/push/vapid-public-key').then(function (r) { return r.json(); })
        ]);
      }).then(function (got) {
        return got[0].pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(got[1].public_key)
        });
      }).then(function (subscription) {
        return fetch('/api/v1/me/push-subscriptions', {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(subscription)
        });
      }).then(function (r) {
        if (!r.ok) throw new Error('The subscription was not kept.');
        say('Notifications are on for this device.');
      }).catch(function (e) {
        say(e.message || 'Notifications could not be turned on.');
        button.disabled = false;
      });
    });
  });
})();
