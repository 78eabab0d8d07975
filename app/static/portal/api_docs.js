/* The API documentation page (/api-docs/, app/templates/portal/api_docs.html): Swagger UI
   from the portal's own copy (app/static/vendor/swagger-ui), on the document the page names.
   A successful sign-in made from the page authorizes the page's later calls with its token.
   No inline script: the portal's CSP allows scripts from its own origin only.
   Swagger UI has no translations of its own: the page carries its words in the page's
   language (data-labels, from the portal's catalog) and text that is exactly one of them is
   replaced as Swagger UI draws it; the document's own text is translated by the server. */
(function () {
  "use strict";
  var node = document.getElementById("swagger-ui");
  if (!node || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  var LOGIN = "/api/v1/security/login";
  var ui = window.SwaggerUIBundle({
    url: node.getAttribute("data-url"),
    domNode: node,
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    validatorUrl: null,  // no call to an online validator
    responseInterceptor: function (response) {
      var url = String(response.url || "");
      if (response.ok && url.slice(-LOGIN.length) === LOGIN && response.body &&
          response.body.access_token) {
        ui.preauthorizeApiKey("bearerAuth", response.body.access_token);
      }
      return response;
    }
  });
  window.portalApiDocs = ui;  // for the browser test
  translate(node, JSON.parse(node.getAttribute("data-labels") || "{}"));

  function translate(root, labels) {
    if (!Object.keys(labels).length) {
      return;
    }
    function word(text) {
      var key = text.trim();
      return Object.prototype.hasOwnProperty.call(labels, key) ? labels[key] : null;
    }
    function visit(start) {
      var walker = document.createTreeWalker(start, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
      for (var n = walker.currentNode; n; n = walker.nextNode()) {
        if (n.nodeType === Node.TEXT_NODE) {
          var text = word(n.nodeValue);
          if (text !== null) {
            n.nodeValue = text;
          }
        } else {
          ["placeholder", "title", "aria-label"].forEach(function (name) {
            var value = n.getAttribute(name);
            var text = value === null ? null : word(value);
            if (text !== null) {
              n.setAttribute(name, text);
            }
          });
        }
      }
    }
    new MutationObserver(function (changes) {
      changes.forEach(function (change) {
        if (change.type === "characterData") {
          var text = word(change.target.nodeValue);
          if (text !== null) {
            change.target.nodeValue = text;
          }
        } else {
          change.addedNodes.forEach(visit);
        }
      });
    }).observe(root, {childList: true, subtree: true, characterData: true});
    visit(root);
  }
}());
