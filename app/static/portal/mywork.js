/* 我的待办's count in the navigation bar (app/views/mywork.py /mywork/count): fetched after
   the page has loaded so that no page waits for it, kept for a minute in the tab's session
   storage; the 我的待办 page itself refreshes it. */
(function () {
  "use strict";
  var KEY = "portal.mywork.count", TTL = 60000;
  var link = document.querySelector('.navbar a[href="/mywork/"]');
  if (!link) { return; }

  function show(count) {
    var badge = link.querySelector(".portal-mywork-badge");
    if (!badge) {
      badge = document.createElement("span");
      badge.className = "badge portal-mywork-badge";
      link.appendChild(document.createTextNode(" "));
      link.appendChild(badge);
    }
    badge.textContent = count > 99 ? "99+" : String(count);
    badge.style.display = count === 0 ? "none" : "";  // .badge overrides [hidden]
    badge.setAttribute("data-count", String(count));
  }

  function remember(count) {
    try {
      sessionStorage.setItem(KEY, JSON.stringify({count: count, at: Date.now()}));
    } catch (e) { /* private mode: no cache */ }
  }

  var page = document.getElementById("mywork-total");
  if (page) {
    var total = parseInt(page.getAttribute("data-count"), 10) || 0;
    remember(total);
    show(total);
    return;
  }
  try {
    var kept = JSON.parse(sessionStorage.getItem(KEY) || "null");
    if (kept && Date.now() - kept.at < TTL) { show(kept.count); return; }
  } catch (e) { /* unreadable: fetch */ }
  fetch("/mywork/count", {credentials: "same-origin", headers: {Accept: "application/json"}})
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (data) {
      if (data && typeof data.count === "number") { remember(data.count); show(data.count); }
    })
    .catch(function () { /* the badge is a convenience: leave it out */ });
}());
