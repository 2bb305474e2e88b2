<script>
/* cardgen stack viewer: scroll through a series with the wheel, the arrow keys or a swipe.
   Without scripts only the key image shows. Anki re-runs this on every card; it is idempotent. */
(function () {
  document.querySelectorAll(".cg-stack:not([data-ready])").forEach(function (stack) {
    stack.setAttribute("data-ready", "1");
    var frames = Array.prototype.slice.call(stack.querySelectorAll("img.cg-stack-frame"));
    var key = stack.querySelector("img.cg-stack-key");
    var counter = stack.querySelector(".cg-stack-counter");
    var index = Math.max(0, frames.indexOf(stack.querySelector("img.cg-stack-frame[data-key]")));
    if (frames.length < 2) return;
    if (key) key.style.display = "none";
    function show(next) {
      index = Math.min(frames.length - 1, Math.max(0, next));
      frames.forEach(function (img, i) { img.style.display = i === index ? "" : "none"; });
      if (counter) counter.textContent = (index + 1) + " / " + frames.length;
    }
    show(index);
    stack.addEventListener("wheel", function (e) { e.preventDefault(); show(index + (e.deltaY > 0 ? 1 : -1)); },
                           { passive: false });
    var touchY = null;
    stack.addEventListener("touchstart", function (e) { touchY = e.touches[0].clientY; }, { passive: true });
    stack.addEventListener("touchmove", function (e) {
      if (touchY === null) return;
      var step = Math.round((e.touches[0].clientY - touchY) / 12);
      if (step !== 0) { e.preventDefault(); show(index + step); touchY = e.touches[0].clientY; }
    }, { passive: false });
    document.addEventListener("keydown", function (e) {
      if (!document.body.contains(stack)) return;
      if (e.key === "ArrowDown" || e.key === "ArrowRight") { e.preventDefault(); show(index + 1); }
      if (e.key === "ArrowUp" || e.key === "ArrowLeft") { e.preventDefault(); show(index - 1); }
    });
  });
})();
</script>
