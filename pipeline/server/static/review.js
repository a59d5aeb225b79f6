// Zoom and pan of the review screen's pages: buttons and the mouse wheel
// zoom, dragging pans. A larger rendering (?width=) is loaded when the zoom
// needs more pixels, up to the page's full resolution. No framework.
(function () {
  "use strict";
  var steps = [0.5, 0.75, 1, 1.5, 2, 3, 4, 6];
  function setup(box) {
    var img = box.querySelector("img");
    var page = box.id.replace("zoom-", "");
    var level = document.getElementById("zoom-level-" + page);
    var full = parseInt(box.getAttribute("data-full-width"), 10) || 0;
    var loaded = 0; // width of the rendering loaded
    var i = 2;      // index in steps: 1 = the page fits the frame
    function apply() {
      var s = steps[i];
      var w = Math.round(box.clientWidth * s);
      img.style.width = w + "px";
      box.setAttribute("data-scale", String(s));
      if (level) { level.textContent = Math.round(s * 100) + "%"; }
      var need = Math.min(full, Math.ceil(w * (window.devicePixelRatio || 1)));
      if (need > loaded && loaded < full) {
        var src = box.getAttribute("data-src") + "?width=" + need;
        loaded = need;
        img.src = src;
      }
    }
    function zoom(d, cx, cy) {
      var j = Math.max(0, Math.min(steps.length - 1, i + d));
      if (j === i) { return; }
      // Keep the point under the cursor (or the frame's centre) in place.
      var r = box.getBoundingClientRect();
      var px = (cx === undefined ? r.width / 2 : cx - r.left), py = (cy === undefined ? r.height / 2 : cy - r.top);
      var fx = (box.scrollLeft + px) / steps[i], fy = (box.scrollTop + py) / steps[i];
      i = j;
      apply();
      box.scrollLeft = fx * steps[i] - px;
      box.scrollTop = fy * steps[i] - py;
    }
    function on(id, f) { var b = document.getElementById(id); if (b) { b.addEventListener("click", f); } }
    on("zoom-in-" + page, function () { zoom(1); });
    on("zoom-out-" + page, function () { zoom(-1); });
    on("zoom-fit-" + page, function () { i = 2; apply(); box.scrollLeft = 0; box.scrollTop = 0; });
    box.addEventListener("wheel", function (e) {
      if (!e.ctrlKey && !e.metaKey) { return; } // plain wheel scrolls
      e.preventDefault();
      zoom(e.deltaY < 0 ? 1 : -1, e.clientX, e.clientY);
    }, { passive: false });
    var drag = null;
    box.addEventListener("pointerdown", function (e) {
      drag = { x: e.clientX, y: e.clientY, l: box.scrollLeft, t: box.scrollTop };
      box.setPointerCapture(e.pointerId);
      box.classList.add("dragging");
    });
    box.addEventListener("pointermove", function (e) {
      if (!drag) { return; }
      box.scrollLeft = drag.l - (e.clientX - drag.x);
      box.scrollTop = drag.t - (e.clientY - drag.y);
    });
    function end() { drag = null; box.classList.remove("dragging"); }
    box.addEventListener("pointerup", end);
    box.addEventListener("pointercancel", end);
    loaded = parseInt((img.getAttribute("src").split("width=")[1] || "0"), 10);
    apply();
  }
  var boxes = document.querySelectorAll(".zoom");
  for (var k = 0; k < boxes.length; k++) { setup(boxes[k]); }
})();
