// Keep the page in step with the builds: the server says when anything changed (server-sent
// events); the page then fetches itself again and swaps its <main>, so the scroll position
// stays where it was. No other script runs on these pages.
"use strict";
(function () {
  const live = document.querySelector(".live");
  let version = document.body.dataset.version;
  let running = false;
  let again = false;

  async function refresh() {
    if (running) { again = true; return; }
    running = true;
    try {
      do {
        again = false;
        const response = await fetch(window.location.href, { cache: "no-store" });
        const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
        const now = document.querySelector("main");
        const next = fresh.querySelector("main");
        if (now && next && now.innerHTML !== next.innerHTML) {
          now.replaceWith(document.adoptNode(next));
          document.title = fresh.title;
        }
        version = fresh.body.dataset.version;
      } while (again);
    } catch (error) {
      if (live) live.textContent = "cannot reach the preview server";
    } finally {
      running = false;
    }
  }

  const events = new EventSource("/events");
  events.addEventListener("change", function (event) {
    if (live) live.textContent = "live";
    if (event.data !== version) refresh();
  });
  events.addEventListener("error", function () {
    if (live) live.textContent = "reconnecting…";
  });
})();
