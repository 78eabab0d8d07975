/* Signature fields (app/fieldtypes/signature.py): draw with a finger, a pen or the mouse on
   the canvas (pointer events), sharp on high-DPI screens; the drawing goes into the hidden
   input as a data:image/png;base64 value when a stroke ends. 清除 empties it; 重新签名 opens
   the canvas under a stored signature, which is kept while nothing new is drawn. */
(function () {
  'use strict';

  function setUp(box) {
    var input = box.querySelector('input[type=hidden]');
    var pad = box.querySelector('.portal-signature-pad');
    var canvas = box.querySelector('canvas');
    var stored = box.querySelector('.portal-signature-stored');
    var context = canvas.getContext('2d');
    var drawing = false;
    var drawn = false;
    var last = null;
    var shownWidth = 0;

    function pen() {
      context.lineWidth = 2.5;
      context.lineCap = 'round';
      context.lineJoin = 'round';
      context.strokeStyle = '#000';
      context.fillStyle = '#000';
    }

    function restore(uri) {
      var image = new Image();
      image.onload = function () {
        context.drawImage(image, 0, 0, canvas.clientWidth, canvas.clientHeight);
      };
      image.src = uri;
    }

    function fit() {  // the canvas's pixels follow its size on screen and the pixel ratio
      var width = canvas.clientWidth;
      var height = canvas.clientHeight;
      if (!width || width === shownWidth) { return; }
      var kept = drawn ? canvas.toDataURL('image/png') : input.value;
      var ratio = Math.max(window.devicePixelRatio || 1, 1);
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      pen();
      shownWidth = width;
      if (kept) { drawn = true; restore(kept); }
    }

    function point(event) {
      var rect = canvas.getBoundingClientRect();
      return {x: event.clientX - rect.left, y: event.clientY - rect.top};
    }

    function save() {
      if (drawn) { input.value = canvas.toDataURL('image/png'); }
    }

    canvas.addEventListener('pointerdown', function (event) {
      if (event.button !== undefined && event.button > 0) { return; }
      event.preventDefault();
      if (canvas.setPointerCapture) { canvas.setPointerCapture(event.pointerId); }
      drawing = true;
      last = point(event);
      context.beginPath();
      context.arc(last.x, last.y, context.lineWidth / 2, 0, Math.PI * 2);
      context.fill();
      drawn = true;
    });
    canvas.addEventListener('pointermove', function (event) {
      if (!drawing) { return; }
      event.preventDefault();
      var events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
      if (!events.length) { events = [event]; }
      context.beginPath();
      context.moveTo(last.x, last.y);
      events.forEach(function (e) {
        var p = point(e);
        context.lineTo(p.x, p.y);
        last = p;
      });
      context.stroke();
    });
    ['pointerup', 'pointercancel', 'pointerleave'].forEach(function (name) {
      canvas.addEventListener(name, function () {
        if (drawing) { drawing = false; save(); }
      });
    });

    box.querySelector('.portal-signature-clear').addEventListener('click', function () {
      context.clearRect(0, 0, canvas.width, canvas.height);
      drawn = false;
      input.value = '';
    });
    var again = box.querySelector('.portal-signature-again');
    if (again) {
      again.addEventListener('click', function () {
        stored.hidden = true;
        pad.hidden = false;
        fit();
      });
    }
    window.addEventListener('resize', fit);
    if (window.ResizeObserver) {  // shown later: a transition's dialog, 重新签名
      new ResizeObserver(fit).observe(canvas);
    }
    fit();
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll('.portal-signature'), setUp);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
