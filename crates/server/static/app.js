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

  // Live regions (the waiting-room board): redraw on each server-sent "board" event. The
  // browser's EventSource reconnects by itself after a dropped connection.
  document.addEventListener('DOMContentLoaded', function () {
    var live = document.querySelector('[data-live]');
    if (!live || typeof window.EventSource !== 'function') return;
    var source = new window.EventSource(live.getAttribute('data-live'));
    source.addEventListener('board', function (event) {
      live.innerHTML = event.data;
    });
  });

  // After a failed submit, put the cursor in the first field that needs attention.
  document.addEventListener('DOMContentLoaded', function () {
    var invalid = document.querySelector('[aria-invalid="true"]');
    if (invalid && typeof invalid.focus === 'function') invalid.focus();
  });
})();
